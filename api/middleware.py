"""Pure ASGI middleware: request ids and access logs, and the resolution of tenant surfaces to a tenant."""

from __future__ import annotations

import logging
import time
import uuid

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import send_problem
from core.db import is_database_outage
from core.errors import DatabaseUnavailable, Problem
from core.logging import request_id_var, tenant_slug_var
from tenants.errors import TenantLookupUnavailable
from tenants.resolution import TenantResolver

log = logging.getLogger("api.access")
error_log = logging.getLogger(__name__)

# Only these surfaces belong to a tenant; /platform, /healthz, /docs... never resolve one.
TENANT_PREFIXES = ("/admin/", "/storefront/", "/oauth/", "/.well-known/oauth-authorization-server")
TENANT_SCOPE_KEY = "tenant"


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID`` in and out) and logs one line when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        # This middleware owns the request's log context; the tenant middleware inside it only sets the tenant.
        token = request_id_var.set(request_id)
        tenant_token = tenant_slug_var.set(None)
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Handled here, inside the request's context, so the 500 and its log line keep the request id
            # (FastAPI's own catch-all runs outside every middleware).
            error_log.exception("unhandled error", extra={"path": scope["path"]})
            if response_started:
                raise
            # An outage met outside the routes (tenant CORS lookup...) is a 503 too, never a 500.
            problem = DatabaseUnavailable() if is_database_outage(exc) else Problem()
            await send_problem(send_with_id, problem, scope["path"])
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
            tenant_slug_var.reset(tenant_token)


class TenantMiddleware:
    """Resolves requests on tenant surfaces to a ``TenantContext`` or answers with a problem. Fails closed."""

    def __init__(self, app: ASGIApp, resolver: TenantResolver) -> None:
        self.app = app
        self.resolver = resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(TENANT_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            tenant = await self.resolver.resolve(host=headers.get("host"), header_slug=headers.get("x-tenant"))
        except Problem as problem:
            await send_problem(send, problem, scope["path"])
            return
        except Exception:  # the registry is unreachable: fail closed, and say so in the API's own format
            error_log.exception("tenant resolution failed")
            await send_problem(send, TenantLookupUnavailable(), scope["path"])
            return
        scope.setdefault("state", {})[TENANT_SCOPE_KEY] = tenant
        tenant_slug_var.set(tenant.slug)  # reset by RequestContextMiddleware, after its access log line
        await self.app(scope, receive, send)
