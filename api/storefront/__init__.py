"""The storefronts' surface: /storefront/v1, on the tenant's host, with this tenant's OAuth tokens."""

from __future__ import annotations

from fastapi import APIRouter

from api.idempotency import IdempotentRoute
from api.problems import TENANT_SURFACE_PROBLEMS, problems
from api.storefront import carts, catalog, customer, orders, shop
from auth.errors import InvalidToken, MissingScope

router = APIRouter(
    route_class=IdempotentRoute,
    prefix="/storefront/v1",
    responses=problems(*TENANT_SURFACE_PROBLEMS, InvalidToken, MissingScope),
)
router.include_router(shop.router)
router.include_router(customer.router)
router.include_router(orders.router)
router.include_router(catalog.router)
router.include_router(carts.router)
