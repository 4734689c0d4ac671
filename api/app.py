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
from api.deadline import DeadlineMiddleware
from api.headers import SecurityHeadersMiddleware
from api.limits import BodySizeLimitMiddleware
from api.middleware import RequestContextMiddleware, TenantMiddleware
from api.problems import document_problems, install_problem_handlers
from api.state import AppState
from core.logging import quiet_leaky_loggers
from core.metrics import serve_metrics
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


def create_app(
    settings: Settings,
    *,
    listen_for_tenant_changes: bool = True,
    relay_jobs: bool = True,
    metrics_host: str | None = None,
) -> FastAPI:
    """The API. Its lifespan listens for tenant changes, refreshes the tenant gauges in the background and, with
    ``relay_jobs``, runs the outbox relay (off: an in-memory broker no worker of this process consumes; the jobs
    wait in the outbox). With ``metrics_host``, it serves the metrics there on ``COMMERCE_METRICS__PORT``."""
    state = AppState.build(settings)
    quiet_leaky_loggers()
    init_sentry(settings, [StarletteIntegration(), FastApiIntegration()])

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything built so far lives as long as the process: keep it out of the collector's full passes
        # (they walked it all, pausing the loop up to 300 ms under load: bench/README.md).
        gc.freeze()
        listener = (
            asyncio.create_task(
                listen_for_changes(
                    settings.db.listen_url or settings.db.url,
                    prepared_statements=settings.db.prepare_threshold is not None,
                )
            )
            if listen_for_tenant_changes
            else None
        )
        if relay_jobs:
            state.relay.start()
        gauges = asyncio.create_task(metrics.keep_fleet_gauges_fresh(state, settings.metrics.refresh_seconds))
        stop_metrics = (
            serve_metrics(settings.metrics.port, state.metrics.registry, host=metrics_host)
            if metrics_host is not None
            else None
        )
        try:
            yield
        finally:
            if stop_metrics is not None:
                await asyncio.to_thread(stop_metrics)
            gauges.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await gauges
            await asyncio.to_thread(state.relay.stop)
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
    app.include_router(platform.router)
    app.include_router(admin.router)
    app.include_router(hooks.router)
    app.include_router(storefront.router)
    app.include_router(oauth.router)
    # Outermost last: every request gets an id, then its deadline, then tenant surfaces get their tenant, then CORS.
    app.add_middleware(StorefrontCorsMiddleware, database=state.database)
    app.add_middleware(TenantMiddleware, resolver=state.resolver)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.http.max_body_bytes)
    app.add_middleware(DeadlineMiddleware, seconds=settings.db.timeout_seconds)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    metrics.instrument(app, state.metrics.registry)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
