"""The platform operators' surface: /platform/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.idempotency import IdempotentRoute
from api.platform import auth, billing, migrations, tenants

router = APIRouter(route_class=IdempotentRoute, prefix="/platform/v1")
router.include_router(auth.router)
router.include_router(tenants.router)
router.include_router(migrations.router)
router.include_router(billing.router)
