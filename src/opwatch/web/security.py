"""What every response of the server carries, and which Host names it answers.

The server has no login: it is meant for localhost or behind a proxy that authenticates. Two
things keep another site from using a browser as a way in. The ``Host`` header is checked
(Starlette's ``TrustedHostMiddleware``), so a page of another origin whose name was re-bound to
127.0.0.1 (DNS rebinding) gets a 400, not the results. And every response says how a browser
may use it: no MIME sniffing, no framing, scripts and styles from this server only, no referrer
leaving it, and not stored by caches (results change when a run publishes; the static files,
which change with the installed version only, may be kept an hour).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
"""Names of this machine, always served."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)
"""Plotly sets styles inline, hence ``'unsafe-inline'`` for styles (never for scripts)."""
DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)
"""The API docs pages start Swagger UI and ReDoc with a script written into the page."""
DOCS_PATHS = ("/docs", "/redoc")
STATIC_PREFIX = "/static/"

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def allowed_hosts(bound: str, extra: Iterable[str]) -> list[str]:
    """The Host names served: the bound address (unless it is a wildcard), this machine's
    names, and the ones the settings add."""
    hosts = [*LOCAL_HOSTS, *extra]
    if bound not in ("0.0.0.0", "::", ""):
        hosts.append(f"[{bound}]" if ":" in bound and not bound.startswith("[") else bound)
    return list(dict.fromkeys(hosts))


class SecurityHeaders:
    """Adds :data:`HEADERS`, a content security policy and a cache policy to every response
    (plain ASGI: it touches the response's start message only, never its body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = DOCS_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY
        cache = "public, max-age=3600" if path.startswith(STATIC_PREFIX) else "no-cache"
        added = {**HEADERS, "Content-Security-Policy": policy, "Cache-Control": cache}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
