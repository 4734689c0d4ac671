"""The merchants' surface: /admin/v1, always on one tenant."""

from __future__ import annotations

from fastapi import APIRouter

from api.admin import auth, shop
from api.problems import problems
from tenants.errors import (
    InvalidTenantIdentifier,
    TenantLookupUnavailable,
    TenantNotFound,
    TenantProvisioning,
    TenantRequired,
    TenantSuspended,
)

router = APIRouter(
    prefix="/admin/v1",
    responses=problems(
        TenantRequired,
        InvalidTenantIdentifier,
        TenantNotFound,
        TenantSuspended,
        TenantProvisioning,
        TenantLookupUnavailable,
    ),
)
router.include_router(auth.router)
router.include_router(shop.router)
