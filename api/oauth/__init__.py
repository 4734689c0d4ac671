"""The per-tenant OAuth 2.0 authorization server for storefronts and their shoppers: /oauth, on the tenant's host."""

from __future__ import annotations

from fastapi import APIRouter

from api.oauth import authorize, endpoints
from api.problems import TENANT_SURFACE_PROBLEMS, problems

router = APIRouter(responses=problems(*TENANT_SURFACE_PROBLEMS))
router.include_router(endpoints.router)
router.include_router(authorize.router)
