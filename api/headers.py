"""Response headers every answer (or every token answer) carries: pure ASGI, so problems written by other
middleware (the tenant resolver, the body limit) get them too."""

from __future__ import annotations

from fastapi import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Two years, subdomains included: tenants live on <slug>.<base domain>.
HSTS = "max-age=63072000; includeSubDomains"


async def no_store(response: Response) -> None:
    """A route dependency for responses that carry credentials: no cache, shared or private, may keep them."""
    response.headers["Cache-Control"] = "no-store"


class SecurityHeadersMiddleware:
    """``X-Content-Type-Options: nosniff`` on every response (a JSON body must never be sniffed as HTML), and
    ``Strict-Transport-Security`` on responses to requests that arrived over HTTPS (as uvicorn's proxy headers
    resolved the scheme): browsers ignore HSTS over plain HTTP, and a development server must not pin it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(b"x-content-type-options", b"nosniff")]
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
