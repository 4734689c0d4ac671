"""The merchants' surface: /admin/v1, always on one tenant."""

from __future__ import annotations

from fastapi import APIRouter

from api.admin import auth, billing, shop
from api.problems import TENANT_SURFACE_PROBLEMS, problems
from auth.errors import InvalidToken

router = APIRouter(prefix="/admin/v1", responses=problems(*TENANT_SURFACE_PROBLEMS, InvalidToken))
router.include_router(auth.router)
router.include_router(shop.router)
router.include_router(billing.router)
