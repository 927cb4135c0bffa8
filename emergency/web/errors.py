"""One error shape for the API: {"error": {"code", "message", "message_zh", "details"}}; pages get
a page. Service-layer refusals map to their status here, so routes only call services."""
from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accounts.permissions import Forbidden, OutOfScope
from emergency.warnings.service import Invalid, NotFound, Refused
from emergency.web.deps import NotSignedIn

log = logging.getLogger(__name__)

GENERIC = {400: ("bad_request", "malformed request", "请求格式错误"), 401: ("unauthorized", "sign in first", "请先登录"),
           403: ("forbidden", "not allowed", "无权操作"), 404: ("not_found", "not found", "不存在"),
           405: ("method_not_allowed", "method not allowed", "不支持该请求方法"),
           409: ("conflict", "conflicts with the current state", "与当前状态冲突"),
           413: ("too_large", "request body too large", "请求内容过大"),
           415: ("unsupported_media_type", "unsupported content type", "不支持的内容类型"),
           422: ("invalid", "a field is invalid", "字段无效"), 429: ("too_many_requests", "too many requests", "请求过于频繁")}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_zh: str, details=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.message_zh = status, code, message, message_zh
        self.details, self.headers = details, headers


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") and request.url.path != "/api/docs"


def error_response(status: int, code: str, message: str, message_zh: str, details=None, headers=None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "message_zh": message_zh, "details": details}},
                        status_code=status, headers=headers)


def install(app: FastAPI, page) -> None:
    """Register the handlers; `page(request, status, zh, en)` renders an error page for the browser."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.message_zh, exc.details, exc.headers)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        status = getattr(exc, "status", None) or (404 if isinstance(exc, NotFound) else 422 if isinstance(exc, Invalid) else 409)
        details = [{"field": exc.field, "message": exc.en}] if isinstance(exc, Invalid) and exc.field else None
        if not is_api(request):
            return page(request, status, exc.zh, exc.en)
        return error_response(status, exc.code, exc.en, exc.zh, details)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if not is_api(request):
            return page(request, 403, exc.zh, exc.en)
        return error_response(403, "forbidden", exc.en, exc.zh)

    @app.exception_handler(OutOfScope)
    async def out_of_scope(request: Request, exc: OutOfScope) -> Response:
        if not is_api(request):
            return page(request, 404, exc.zh, exc.en)
        return error_response(404, "not_found", exc.en, exc.zh)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if not is_api(request):
            if request.headers.get("HX-Request"):  # a part of a page refreshing: the whole page goes to sign-in
                page_path = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
                return Response(status_code=401, headers={"HX-Redirect": f"/login?next={quote(page_path)}"})
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return error_response(401, "unauthorized", "sign in first: a valid token or session is required",
                              "请先登录（需要有效的令牌或会话）", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or str(e.get("loc", ("body",))[0]),
                    "message": e.get("msg", "invalid")} for e in exc.errors()]
        malformed = any(e.get("type") in ("json_invalid", "model_attributes_type") for e in exc.errors())
        status, code = (400, "malformed") if malformed else (422, "invalid")
        if not is_api(request):
            return page(request, status, "请求无效：" + "; ".join(d["field"] + " " + d["message"] for d in details),
                        "invalid request: " + "; ".join(d["field"] + " " + d["message"] for d in details))
        return error_response(status, code, "; ".join(f"{d['field']}: {d['message']}" for d in details) or "invalid",
                              "请求字段无效", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code, message, zh = GENERIC.get(exc.status_code, ("error", "error", "错误"))
        if isinstance(exc.detail, dict):
            code, message, zh = exc.detail.get("code", code), exc.detail.get("message", message), exc.detail.get("message_zh", zh)
        elif isinstance(exc.detail, str) and exc.detail and exc.detail not in ("Not Found", "Method Not Allowed"):
            message = exc.detail
        if exc.status_code in (301, 302, 303, 307) and exc.headers:
            return Response(status_code=exc.status_code, headers=exc.headers)
        if not is_api(request):
            return page(request, exc.status_code, zh, message)
        return error_response(exc.status_code, code, message, zh, headers=exc.headers)

    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold or search (an id of 20 digits, a NUL character): the request's fault.
        if not is_api(request):
            return page(request, 400, "请求中有无法处理的值", "the request has a value that cannot be used")
        return error_response(422, "invalid_value", "a value is out of range or has a NUL character",
                              "数值超出范围或含有空字符")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if not is_api(request):
            return page(request, 500, "服务器内部错误，已记录", "internal error; it has been logged")
        return error_response(500, "internal", "internal error; it has been logged", "服务器内部错误，已记录")
