"""The baseline of the routing benchmark: the product itself on one schema, without tenancy.

The baseline is ``api.app.create_app`` with exactly the tenancy taken out, so every other cost of
``GET /admin/v1/shop`` (the route, its staff-token and scope dependencies, the service, the response
model, every other middleware, the problem handlers, the Prometheus instrumentation, the routing table)
is the product's own code and cannot drift from it:

- in ``TenantMiddleware``'s place, a middleware that hands every request the one tenant (no resolution,
  no cache);
- tenant sessions are plain sessions on an engine whose connections have their ``search_path`` fixed to
  that tenant's schema at connect time, so no ``set_config`` per transaction.

(FastAPI's ``dependency_overrides`` would be simpler, but it re-analyses an overridden dependency on
every request, which made the baseline slower than the product.) ``middleware_difference`` checks that
the stacks differ by ``TenantMiddleware`` only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.app import create_app
from api.middleware import TENANT_PREFIXES, TENANT_SCOPE_KEY, TenantMiddleware
from api.state import AppState
from core.db import Database, ScopedSession, _engine_options, sqlalchemy_url, validate_schema_name
from core.settings import Settings
from tenants.context import TenantContext


class _OneSchemaDatabase(Database):
    """The product's ``Database`` on connections whose ``search_path`` is fixed at connect time; its tenant
    sessions issue no ``set_config`` (unless ``route_each_transaction``)."""

    def __init__(
        self, settings: Settings, schema: str, *, route_each_transaction: bool, session_info: dict[str, Any]
    ) -> None:
        super().__init__(settings.db, session_info=session_info)
        # core.db.create_async_db_engine's options (kept in step by using them), plus the fixed search_path.
        options = _engine_options(settings.db)
        options["connect_args"] = {**options.get("connect_args", {}), "options": f"-c search_path={schema}"}
        self.engine = create_async_engine(sqlalchemy_url(settings.db.url), **options)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")  # the tenant reader's
        self._public = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._scoped = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ScopedSession if route_each_transaction else Session,
        )


class _OneTenant:
    """In ``TenantMiddleware``'s place: every tenant-surface request is the one tenant, resolved by no one."""

    def __init__(self, app: ASGIApp, tenant: TenantContext) -> None:
        self.app = app
        self.tenant = tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(TENANT_PREFIXES):
            scope.setdefault("state", {})[TENANT_SCOPE_KEY] = self.tenant
        await self.app(scope, receive, send)


def create_baseline_app(settings: Settings, tenant: TenantContext, *, route_each_transaction: bool = False) -> FastAPI:
    """The baseline; ``route_each_transaction`` adds back the product's per-transaction ``set_config``
    (``core.db.ScopedSession``), for ``bench.explain_routing`` to price that statement alone."""
    schema = validate_schema_name(tenant.schema_name)
    app = create_app(settings, listen_for_tenant_changes=False)
    state: AppState = app.state.commerce
    database = _OneSchemaDatabase(
        settings, schema, route_each_transaction=route_each_transaction, session_info=state.database.session_info
    )
    app.state.commerce = dataclasses.replace(state, database=database)
    # The stack is built at the first request, so TenantMiddleware can still be swapped out here.
    app.user_middleware = [
        Middleware(_OneTenant, tenant=tenant) if _name(m) == TenantMiddleware.__name__ else m
        for m in app.user_middleware
    ]
    app.state.bench_engine = database.engine
    return app


def _name(middleware: Middleware) -> str:
    return getattr(middleware.cls, "__name__", repr(middleware.cls))


def middleware_difference(product: FastAPI, baseline: FastAPI) -> str | None:
    """How the baseline's middleware stack differs from the product's minus ``TenantMiddleware`` (None: same)."""

    expected = [_name(m) for m in product.user_middleware if _name(m) != TenantMiddleware.__name__]
    actual = [_name(m) for m in baseline.user_middleware if _name(m) != _OneTenant.__name__]
    return None if expected == actual else f"product (minus TenantMiddleware) {expected}, baseline {actual}"
