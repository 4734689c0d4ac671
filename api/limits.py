"""The request body limit: a pure ASGI middleware, so no route (JSON, form, webhook) reads more than the limit."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import send_problem
from core.errors import PayloadTooLarge


class BodySizeLimitMiddleware:
    """Refuses a body larger than ``max_bytes`` with 413 ``payload_too_large``: at once when ``Content-Length``
    says so, else (a chunked body) as soon as the bytes read pass the limit, before the app has parsed any of it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_problem(send, self._problem(), scope["path"])
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Rendered by the app's handler for HTTP errors as the same problem (FastAPI re-raises
                    # HTTPException from body parsing instead of turning it into a 400).
                    raise HTTPException(413, PayloadTooLarge.title)
            return message

        await self.app(scope, limited_receive, send)

    def _problem(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"Request bodies are limited to {self.max_bytes} bytes.", max_bytes=self.max_bytes)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # bytes.isdigit is ASCII only; 19+ digits is more than any limit (and stays cheap to convert).
            return int(value) if value.isdigit() and len(value) <= 18 else None
    return None
