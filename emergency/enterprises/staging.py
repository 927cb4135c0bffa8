"""The workbook a user dry-ran, kept on the server until they import it (or it expires).

Why keep the file rather than ask the browser to send it again: the import then writes exactly the
bytes that passed the dry run (no other file can be picked in between, nothing to compare), and a
50 MB workbook crosses the network once. The price is a little disk, bounded here:

- each staged workbook sits in its own folder `<user id>-<random>/` under one private folder
  (mode 0700) per database, keeping its original file name (the import records it as the source);
- only its owner can claim it: the token is unguessable (128 random bits) and names the user;
- it lives `LIFETIME`; a user has at most one (a new dry run replaces the last); expired ones are
  swept at every new dry run; the import claims it (once: a double click does not import twice)
  and deletes it.

Every web worker of one host shares the folder (`emergency serve` runs on one host); spreading the
web workers over several hosts would need this folder on shared storage."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import BinaryIO

LIFETIME = 30 * 60  # seconds from the dry run
TOKEN = re.compile(r"(\d+)-[A-Za-z0-9_-]{22}")
CLAIMED = ".claimed"  # suffix of a workbook being imported
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Staged:
    token: str
    path: Path


def folder_for(database_url: str) -> Path:
    """One folder per installation, so that two databases on one host never share users' files."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"emergency-lists-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    status = folder.stat()
    if status.st_uid != os.getuid() or status.st_mode & 0o077:  # made by someone else on a shared host
        raise RuntimeError(f"{folder} is not this user's private folder: remove it")
    return folder


def keep(folder: Path, user_id: int, name: str, content: BinaryIO) -> Staged:
    """Store the upload as the user's one staged workbook, replacing any earlier one."""
    _sweep(folder, user_id)
    token = f"{user_id}-{secrets.token_urlsafe(16)}"
    place = folder / token
    place.mkdir(mode=0o700)
    path = place / safe_name(name)
    with path.open("wb") as out:
        shutil.copyfileobj(content, out, 1024 * 1024)
    return Staged(token, path)


def find(folder: Path, user_id: int, token: str) -> Staged | None:
    """The user's staged workbook of that token, if it is still there and young enough."""
    match = TOKEN.fullmatch(token or "")
    if match is None or int(match.group(1)) != user_id:
        return None
    place = folder / token
    try:
        young = time.time() - place.stat().st_mtime <= LIFETIME
        files = [p for p in place.iterdir() if p.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Staged(token, files[0]) if young and files else None


def claim(folder: Path, user_id: int, token: str) -> Staged | None:
    """Take the user's staged workbook for the import. Only one request can (the folder is renamed),
    so that a double click imports once and the second is told the file is gone."""
    found = find(folder, user_id, token)
    if found is None:
        return None
    claimed = folder / f"{token}{CLAIMED}"
    try:
        (folder / token).rename(claimed)
    except OSError:
        return None
    return Staged(token, claimed / found.path.name)


def discard(folder: Path, token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        for name in (token, token + CLAIMED):
            shutil.rmtree(folder / name, ignore_errors=True)


def safe_name(name: str) -> str:
    """The file's own name without any folder (browsers on Windows may send C:\\fakepath\\…)."""
    base = CONTROL.sub("", PureWindowsPath(name or "").name).strip()[:200]
    return base if base not in ("", ".", "..") else "upload.xlsx"


def _sweep(folder: Path, user_id: int) -> None:
    now = time.time()
    for place in folder.iterdir():
        try:
            old = now - place.stat().st_mtime > LIFETIME
        except FileNotFoundError:  # another worker swept it a moment ago
            continue
        if old or place.name.startswith(f"{user_id}-"):
            shutil.rmtree(place, ignore_errors=True)
