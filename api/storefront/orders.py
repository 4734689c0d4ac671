"""Shoppers' orders: the signed-in shopper's history (``customer:orders``) and a guest's order through the
signed link of its confirmation mail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CatalogReader, CustomerOrders, State, Tenant, TenantSession
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.orders import storefront as storefront_orders
from commerce.orders.errors import InvalidOrderLink, OrderNotFound
from commerce.orders.schemas import StorefrontOrderRead
from core.errors import InvalidCursor
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, tags=["storefront: orders"])

_NOT_FOUND = (OrderNotFound, TenantNotFound)


@router.get(
    "/customer/orders",
    response_model=Page[StorefrontOrderRead],
    operation_id="storefront_customer_orders_list",
    responses=problems(InvalidCursor, TenantNotFound),
)
async def list_my_orders(
    db: TenantSession,
    shopper: CustomerOrders,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    starting_after: Annotated[Text | None, Query(description="Id of the last order of the previous page.")] = None,
) -> Page[StorefrontOrderRead]:
    """The signed-in shopper's orders, newest first (a shopper's token with `customer:orders`)."""
    rows, has_more = await storefront_orders.list_customer_orders(
        db, shopper.id, limit=limit, starting_after=starting_after
    )
    return Page[StorefrontOrderRead](data=rows, has_more=has_more)


@router.get(
    "/customer/orders/{order_id}",
    response_model=StorefrontOrderRead,
    operation_id="storefront_customer_orders_get",
    responses=problems(*_NOT_FOUND),
)
async def get_my_order(order_id: uuid.UUID, db: TenantSession, shopper: CustomerOrders) -> StorefrontOrderRead:
    """One of the signed-in shopper's orders; anyone else's is 404."""
    return await storefront_orders.customer_order(db, shopper.id, order_id)


@router.get(
    "/orders/{order_id}",
    response_model=StorefrontOrderRead,
    operation_id="storefront_orders_get_by_link",
    responses=problems(*_NOT_FOUND, InvalidOrderLink),
)
async def get_order_by_link(
    order_id: uuid.UUID,
    token: Annotated[Text, Query(max_length=1000, description="The token of the order confirmation mail's link.")],
    db: TenantSession,
    state: State,
    tenant: Tenant,
    reader: CatalogReader,
) -> StorefrontOrderRead:
    """A guest's order, through the signed link of its confirmation mail (bound to this shop and this order,
    expiring), with the storefront's publishable key or token."""
    secret = state.settings.auth.secret_key.get_secret_value()
    return await storefront_orders.guest_order(db, secret, tenant.id, order_id, token)
