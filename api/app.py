"""The FastAPI app factory. Nothing is connected at import; ``create_app(settings)`` builds everything."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from api import admin, health, hooks, metrics, oauth, platform, storefront
from api.cors import StorefrontCorsMiddleware
from api.middleware import RequestContextMiddleware, TenantMiddleware
from api.problems import document_problems, install_problem_handlers
from api.state import AppState
from core.logging import quiet_leaky_loggers
from core.sentry import init_sentry
from core.settings import Settings
from tenants.resolution import listen_for_changes

API_DESCRIPTION = """
One deployment, one PostgreSQL schema per merchant.

* **/platform/v1**: platform operators (bearer token from `POST /platform/v1/auth/token`).
* **/admin/v1**: a merchant's staff, on the tenant's host (`<slug>.<base domain>`, a custom domain)
  or with an `X-Tenant: <slug>` header; a staff bearer token from `POST /admin/v1/auth/token`, or an
  API key (`sk_...`) with explicit scopes.
* **/storefront/v1**: storefronts and their shoppers, with OAuth 2.0 access tokens from the tenant's
  own authorization server at **/oauth** (authorization code + PKCE S256, refresh tokens that rotate,
  client credentials for confidential clients); metadata at `/.well-known/oauth-authorization-server`.
* **/hooks**: inbound Stripe webhooks (signed) and the return from Stripe's onboarding (signed state).

Errors are RFC 9457 `application/problem+json` documents with a stable `code`.
"""


def create_app(settings: Settings, *, listen_for_tenant_changes: bool = True) -> FastAPI:
    state = AppState.build(settings)
    quiet_leaky_loggers()
    init_sentry(settings, [StarletteIntegration(), FastApiIntegration()])

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything built so far lives as long as the process: keep it out of the collector's full passes
        # (they walked it all, pausing the loop up to 300 ms under load: bench/README.md).
        gc.freeze()
        listener = (
            asyncio.create_task(listen_for_changes(settings.db.listen_url or settings.db.url))
            if listen_for_tenant_changes
            else None
        )
        try:
            yield
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            if state.stripe is not None:
                await state.stripe.aclose()
            await state.database.dispose()
            await state.auth.close()

    app = FastAPI(title="Commerce API", version="0.1.0", description=API_DESCRIPTION, lifespan=lifespan)
    app.state.commerce = state
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(platform.router)
    app.include_router(admin.router)
    app.include_router(hooks.router)
    app.include_router(storefront.router)
    app.include_router(oauth.router)
    # Outermost last: every request gets an id, then tenant surfaces get their tenant, then CORS (per tenant).
    app.add_middleware(StorefrontCorsMiddleware, database=state.database)
    app.add_middleware(TenantMiddleware, resolver=state.resolver)
    app.add_middleware(RequestContextMiddleware)
    metrics.instrument(app, state.metrics.registry)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
