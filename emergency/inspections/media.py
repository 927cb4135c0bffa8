"""Photos on disk, named by their SHA-256: `<dir>/<2 hex>/<sha256>` for the file as uploaded, and
two JPEGs re-encoded with Pillow beside it (`.thumb.jpg` for lists, `.view.jpg` for the screen: a
browser shows no HEIC, and a re-encoded image carries no location or camera metadata).

A photo is accepted by what its bytes are, never by its name or declared type: JPEG, PNG or HEIC,
fully decoded (a truncated file fails here), at most MAX_BYTES and MAX_PIXELS. Everything is
checked before anything is written, and every file is written under a temporary name and renamed,
so that a refused or interrupted upload leaves nothing behind. Equal photos share one file."""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from emergency.warnings.service import Invalid

try:  # HEIC is what iPhones take; without the codec such photos are refused with a clear message
    import pillow_heif
    pillow_heif.register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    HEIC = False

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000  # beyond any phone camera; bigger is a decompression bomb
SIZES = {"thumb": 320, "view": 1600}
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class TooLarge(Invalid):
    """The upload is over MAX_BYTES (413)."""

    status = 413


@dataclass(frozen=True)
class Stored:
    sha256: str
    content_type: str
    bytes: int
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The content type by the file's first bytes (None: not a photo we take)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "image/heic"
    return None


def check(data: bytes, name: str = "") -> tuple[str, Image.Image]:
    """The content type and the decoded image; raises Invalid (TooLarge) saying what is wrong."""
    label = f"“{name}”" if name else "照片"
    if len(data) > MAX_BYTES:
        raise TooLarge(f"{label}大小为 {len(data) / 2**20:.1f} MB，超过 10 MB 上限，请压缩后重传",
                       f"{name or 'the photo'} is {len(data) / 2**20:.1f} MB, over the 10 MB limit",
                       code="too_large", field="file")
    if not data:
        raise Invalid(f"{label}是空文件", f"{name or 'the file'} is empty", code="empty_file", field="file")
    kind = sniff(data)
    if kind is None:
        raise Invalid(f"{label}不是 JPEG、PNG 或 HEIC 照片（按文件内容判断，与文件名无关）",
                      f"{name or 'the file'} is not a JPEG, PNG or HEIC photo (judged by its content, not its name)",
                      code="not_a_photo", field="file")
    if kind == "image/heic" and not HEIC:  # pragma: no cover
        raise Invalid("本服务器无法读取 HEIC 照片，请在手机上改用 JPEG 格式", "this server cannot read HEIC photos",
                      code="heic_unsupported", field="file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Invalid(f"{label}像素过多，无法处理", f"{name or 'the photo'} has too many pixels",
                      code="too_many_pixels", field="file") from exc
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise Invalid(f"{label}已损坏或不完整（可能上传中断），请重新拍摄或上传",
                      f"{name or 'the photo'} is damaged or incomplete (an interrupted upload?): take or upload it again",
                      code="damaged_photo", field="file") from exc
    return kind, image


def store(directory: Path, data: bytes, name: str = "") -> Stored:
    """Check the photo, then write it and its two renditions (once per distinct photo)."""
    kind, image = check(data, name)
    digest = hashlib.sha256(data).hexdigest()
    folder = directory / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    upright = ImageOps.exif_transpose(image)
    for variant, edge in SIZES.items():
        target = folder / f"{digest}.{variant}.jpg"
        if not target.exists():
            copy = upright.convert("RGB")
            copy.thumbnail((edge, edge))
            out = io.BytesIO()
            copy.save(out, "JPEG", quality=82, optimize=True)
            _write(target, out.getvalue())
    if not (folder / digest).exists():
        _write(folder / digest, data)
    return Stored(sha256=digest, content_type=kind, bytes=len(data), width=upright.width, height=upright.height)


def path(directory: Path, sha256: str, variant: str) -> Path:
    """Where a stored photo's file (variant "original") or rendition is."""
    name = sha256 if variant == "original" else f"{sha256}.{variant}.jpg"
    return directory / sha256[:2] / name


def _write(target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
