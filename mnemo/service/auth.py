"""Bearer-token authentication (constant-time), as ASGI middleware in front of every route.

Browsers cannot put a header on ``<video src>`` or ``<img src>``, so the web page trades its token
for an HttpOnly, SameSite=Strict cookie (``POST /v1/session``) that counts the same. The page's
own files and ``/v1/health`` are public: they hold no data.
"""

from __future__ import annotations

import hmac
import json
from http.cookies import SimpleCookie

COOKIE = "mnemo_token"
PUBLIC_PATHS = ("/", "/index.html", "/v1/health", "/favicon.ico")
PUBLIC_PREFIXES = ("/static/",)


def token_matches(given: str | None, expected: str) -> bool:
    """Compare in constant time (no early exit that would leak how much of it was right)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def request_token(headers: dict[bytes, bytes]) -> str | None:
    """The bearer token of a request: its Authorization header, else the page's cookie."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = headers.get(b"cookie")
    if cookie:
        jar = SimpleCookie()
        try:
            jar.load(cookie.decode("latin-1"))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no token
            return None
        if COOKIE in jar:
            return jar[COOKIE].value
    return None


class BearerAuth:
    """Reject requests without the token (401, JSON) unless the path is public."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if self.token is None or scope["type"] not in ("http", "websocket") or _public(scope["path"]):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if token_matches(request_token(headers), self.token):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        body = json.dumps({"error": {"status": 401, "message": "missing or wrong bearer token "
                                     "(send Authorization: Bearer <token>)"}}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b'Bearer realm="mnemo"')]})
        await send({"type": "http.response.body", "body": body})


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
