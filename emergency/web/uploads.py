"""Reading an uploaded file from a request: a multipart `file` field or the raw body. The size is
bounded before reading by the BodyLimit middleware (limits.py)."""
from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from emergency.web.errors import ApiError


async def read_upload(request: Request, *, accept: tuple[str, ...]) -> tuple[str, bytes]:
    """(file name, content). Raises ApiError 415 for another content type, 422 without a file."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file_required", "send the file in the multipart field `file`",
                           "请在 multipart 的 file 字段中上传文件", [{"field": "file", "message": "required"}])
        return (upload.filename or "upload")[:300], await upload.read()
    if kind in accept or (not kind and accept):
        return "upload", await request.body()
    raise ApiError(415, "unsupported_media_type", f"send multipart/form-data with a `file` field, or {accept[0]}",
                   f"请以 multipart/form-data（file 字段）或 {accept[0]} 上传")
