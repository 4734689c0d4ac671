"""CORS for browser storefronts: single-page apps on their own origins calling the storefront API and the token endpoints.

The allowed origins of a tenant are those of its OAuth clients' redirect URIs and the ``allowed_origins`` of
its publishable keys, so registering a storefront (or creating its key) is all a merchant does. Storefront calls carry bearer tokens, never cookies, so
credentialed CORS is never allowed; CORS only decides which web pages may read the responses,
while the tokens remain the security boundary. Origins are cached per tenant for a short time:
a newly registered redirect URI is accepted within ``ttl_seconds``.
"""

from __future__ import annotations

import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware import TENANT_SCOPE_KEY
from api.problems import send_problem
from auth.oauth import service as oauth_service
from auth.oauth.errors import OriginNotAllowed
from auth.publishable_keys import service as publishable_keys_service
from core.db import Database
from tenants.context import TenantContext, tenant_session

CORS_PATHS = ("/storefront/", "/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server")
_ALLOWED_HEADERS = "authorization, content-type, idempotency-key, if-match"
_EXPOSED_HEADERS = "etag, retry-after, www-authenticate, x-request-id"


class StorefrontCorsMiddleware:
    def __init__(self, app: ASGIApp, database: Database, *, ttl_seconds: float = 30.0) -> None:
        self.app = app
        self.database = database
        self.ttl_seconds = ttl_seconds
        self._origins: dict[uuid.UUID, tuple[float, frozenset[str]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CORS_PATHS):  # most requests: nothing to do
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        tenant: TenantContext | None = scope.get("state", {}).get(TENANT_SCOPE_KEY)
        if origin is None or tenant is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in await self._allowed(tenant)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(send, scope["path"], origin, allowed)
            return
        if not allowed:
            await self.app(scope, receive, send)  # served, but the browser will not let the page read it
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["access-control-allow-origin"] = origin
                response_headers["access-control-expose-headers"] = _EXPOSED_HEADERS
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, path: str, origin: str, allowed: bool) -> None:
        if not allowed:
            await send_problem(send, OriginNotAllowed(), path)
            return
        headers = [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-methods", b"GET, POST, PATCH, DELETE"),
            (b"access-control-allow-headers", _ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _allowed(self, tenant: TenantContext) -> frozenset[str]:
        cached = self._origins.get(tenant.id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        async with tenant_session(self.database, tenant) as db:
            origins = await oauth_service.browser_origins(db) | await publishable_keys_service.browser_origins(db)
        if len(self._origins) > 10_000:  # bounded: a fleet's worth of tenants
            self._origins.clear()
        self._origins[tenant.id] = (now + self.ttl_seconds, origins)
        return origins
