"""Edges of the web application: request bodies bounded before they are read, and the security
headers every answer carries. Plain ASGI middleware, so that nothing reads a body past its limit."""
from __future__ import annotations

import json

KB, MB = 1024, 1024 * 1024
DEFAULT_LIMIT = 256 * KB
# Uploads by path prefix (most specific first); everything else gets DEFAULT_LIMIT.
UPLOAD_LIMITS = (("/api/v1/lists/imports", 50 * MB), ("/api/v1/forecasts", 5 * MB), ("/api/v1/inspections", 11 * MB),
                 ("/lists/", 50 * MB), ("/forecast/", 5 * MB))  # the console's uploads: the same bounds

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]


def limit_for(path: str) -> int:
    return next((size for prefix, size in UPLOAD_LIMITS if path.startswith(prefix)), DEFAULT_LIMIT)


class TooLarge(Exception):
    pass


class BodyLimit:
    """413 for a body over the path's limit: at once from Content-Length, else while it streams in."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(scope, send, limit, bad=not length.isdigit())
        seen, started, exceeded = 0, False, False

        async def counted():
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise TooLarge()
            return message

        async def watched(message):
            nonlocal started
            if exceeded:  # whatever the app made of the cut-off body (FastAPI says 400) gives way to 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            pass
        if exceeded and not started:
            await _too_large(scope, send, limit)


async def _too_large(scope, send, limit: int, bad: bool = False) -> None:
    status = 400 if bad else 413
    body = json.dumps({"error": {"code": "malformed" if bad else "too_large",
                                 "message": "bad Content-Length" if bad else f"request body over {limit // KB} KB",
                                 "message_zh": "Content-Length 无效" if bad else f"请求内容超过 {limit // KB} KB",
                                 "details": {"limit_bytes": limit}}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Content-Security-Policy, nosniff, no framing, no referrer, on every answer (kept if already set)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((k, v) for k, v in HEADERS if k not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
