"""The merchants' surface: /admin/v1, always on one tenant."""

from __future__ import annotations

from fastapi import APIRouter

from api.admin import (
    api_keys,
    auth,
    billing,
    collections,
    customers,
    discounts,
    events,
    inventory,
    oauth_clients,
    orders,
    product_imports,
    products,
    publishable_keys,
    shipping,
    shop,
    staff,
    taxes,
)
from api.idempotency import IdempotentRoute
from api.problems import TENANT_SURFACE_PROBLEMS, problems
from auth.errors import InvalidToken, MissingScope

router = APIRouter(
    route_class=IdempotentRoute,
    prefix="/admin/v1",
    responses=problems(*TENANT_SURFACE_PROBLEMS, InvalidToken, MissingScope),
)
router.include_router(auth.router)
router.include_router(shop.router)
router.include_router(billing.router)
router.include_router(api_keys.router)
router.include_router(oauth_clients.router)
router.include_router(staff.router)
router.include_router(product_imports.router)  # before products: /products/imports is no product id
router.include_router(products.router)
router.include_router(collections.router)
router.include_router(events.router)
router.include_router(publishable_keys.router)
router.include_router(customers.router)
router.include_router(inventory.router)
router.include_router(orders.router)
router.include_router(shipping.router)
router.include_router(taxes.router)
router.include_router(discounts.router)
