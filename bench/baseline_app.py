"""The baseline of the routing benchmark: the same handler on one schema, without tenancy.

``GET /admin/v1/shop`` here calls the same staff authentication (``auth.staff.service.authenticate``)
and the same service (``commerce.shop.service.get_shop``) in one unit of work committed before the
response, like ``api.admin.shop.get_shop``, with the same response model, request-id middleware,
problem handlers, Prometheus HTTP instrumentation (``api.metrics.instrument``), engine options and
routing table (the product's health, metrics, platform and admin-auth routers come first, so matching
the path costs the same); ``middleware_difference`` checks the stacks still match. What it lacks is
exactly the tenancy: no ``TenantMiddleware`` (no tenant resolution, no cache), and a plain ``AsyncSession`` on an engine whose connections have their
``search_path`` fixed to one tenant schema at connect time, so no ``set_config`` per transaction.
"""

# No ``from __future__ import annotations``: FastAPI resolves the endpoints' annotations at runtime, and
# those name ``Session``, local to ``create_baseline_app``.

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from api import health, metrics, platform
from api.admin import auth as admin_auth
from api.middleware import RequestContextMiddleware, TenantMiddleware
from api.problems import install_problem_handlers
from auth.errors import InvalidToken
from auth.principals import Principal
from auth.services import AuthServices
from auth.staff import service as staff_service
from commerce.shop import service as shop_service
from commerce.shop.models import ShopSettings
from commerce.shop.schemas import ShopRead
from core.db import _SCOPE_KEY as SCOPE_INFO_KEY  # the session-info key ScopedSession routes by
from core.db import ScopedSession, _engine_options, sqlalchemy_url, validate_schema_name
from core.settings import Settings
from tenants.context import TenantContext


def create_baseline_app(settings: Settings, tenant: TenantContext, *, route_each_transaction: bool = False) -> FastAPI:
    """The baseline; ``route_each_transaction`` adds back the product's per-transaction ``set_config``
    (``core.db.ScopedSession``), for ``bench.explain_routing`` to price that statement alone."""
    schema = validate_schema_name(tenant.schema_name)
    # core.db.create_async_db_engine's options (kept in step by using them), plus a search_path fixed
    # for the connection's life.
    options = _engine_options(settings.db)
    options["connect_args"] = {**options.get("connect_args", {}), "options": f"-c search_path={schema}"}
    engine = create_async_engine(sqlalchemy_url(settings.db.url), **options)
    if route_each_transaction:
        sessions = async_sessionmaker(
            engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ScopedSession,
            info={SCOPE_INFO_KEY: schema},
        )
    else:
        sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    auth = AuthServices.build(settings)
    bearer = HTTPBearer(auto_error=False)

    async def session() -> AsyncIterator[AsyncSession]:
        async with sessions() as db:
            yield db
            await db.commit()

    Session = Annotated[AsyncSession, Depends(session, scope="function")]  # noqa: N806

    async def current_staff(
        db: Session, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise InvalidToken()
        return await staff_service.authenticate(db, auth, tenant, credentials.credentials)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="Commerce API (bench baseline, one schema)", lifespan=lifespan)
    app.state.bench_engine = engine
    install_problem_handlers(app)
    # The product's routing table in front of the shop route (api.app.create_app's order); only
    # /healthz and /admin/v1/shop are ever requested here.
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(platform.router)
    shop_router = APIRouter(prefix="/shop")
    admin = APIRouter(prefix="/admin/v1")
    admin.include_router(admin_auth.router)

    @shop_router.get("", response_model=ShopRead)
    async def get_shop(
        db: Session, staff: Annotated[Principal, Depends(current_staff)], response: Response
    ) -> ShopSettings:
        shop = await shop_service.get_shop(db)
        response.headers["ETag"] = f'"{shop.version}"'
        return shop

    admin.include_router(shop_router)
    app.include_router(admin)
    app.add_middleware(RequestContextMiddleware)
    metrics.instrument(app, CollectorRegistry())
    return app


def middleware_difference(product: FastAPI, baseline: FastAPI) -> str | None:
    """How the baseline's middleware stack differs from the product's minus ``TenantMiddleware`` (None: same).

    The baseline is built by hand, so this guards it against the product growing a middleware it lacks.
    """

    def names(app: FastAPI) -> list[str]:
        return [getattr(m.cls, "__name__", repr(m.cls)) for m in app.user_middleware]

    expected = [name for name in names(product) if name != TenantMiddleware.__name__]
    actual = names(baseline)
    return None if expected == actual else f"product (minus TenantMiddleware) {expected}, baseline {actual}"
