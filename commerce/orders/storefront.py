"""What shoppers see of their orders: a signed-in shopper's history, and a guest's order through a signed link.

* A signed-in shopper (a token with ``customer:orders``) reads the orders whose ``customer_id`` is theirs;
  any other id is 404 ``order_not_found``, the same answer as an id that does not exist.
* A guest reads one order with the token of the link in its confirmation mail: signed with the deployment's
  secret for this purpose only, bound to the tenant and the order, expiring (``COMMERCE_AUTH__ORDER_LINK_TTL_SECONDS``).
  A token for another order or another tenant, altered, or expired is 403 ``invalid_order_link``.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments import ledger_repository as payments_repository
from commerce.orders import repository
from commerce.orders.errors import InvalidOrderLink, OrderNotFound
from commerce.orders.models import Order
from commerce.orders.repository import OrderFilters
from commerce.orders.schemas import FulfillmentRead, OrderLineRead, StorefrontOrderRead
from core.pagination import cursor_row, split_page
from core.signing import SignedValues

_LINK_PURPOSE = "commerce/order-link/v1"


def sign_order_link(secret_key: str, tenant_id: uuid.UUID, order_id: uuid.UUID, *, ttl_seconds: int) -> str:
    return SignedValues(secret_key, _LINK_PURPOSE).sign(
        {"t": tenant_id.hex, "o": order_id.hex}, ttl_seconds=ttl_seconds
    )


def verify_order_link(secret_key: str, token: str, tenant_id: uuid.UUID, order_id: uuid.UUID) -> None:
    claims = SignedValues(secret_key, _LINK_PURPOSE).verify(token)
    if claims is None or claims.get("t") != tenant_id.hex or claims.get("o") != order_id.hex:
        raise InvalidOrderLink()


async def list_customer_orders(
    db: AsyncSession, customer_id: uuid.UUID, *, limit: int, starting_after: str | None
) -> tuple[list[StorefrontOrderRead], bool]:
    """The shopper's orders, newest first (archived ones too: archiving is the merchant's filing); a page costs
    four queries whatever its size (orders, their lines, fulfilments, refunded totals)."""

    async def own(order_id: uuid.UUID) -> Order | None:
        order = await repository.get_plain(db, order_id)
        return order if order is not None and order.customer_id == customer_id else None

    after = await cursor_row(starting_after, own)
    filters = OrderFilters(customer_id=customer_id, archived=None)
    rows, has_more = split_page(await repository.list_orders(db, filters, limit, after=after, with_lines=True), limit)
    return await _views(db, rows), has_more


async def customer_order(db: AsyncSession, customer_id: uuid.UUID, order_id: uuid.UUID) -> StorefrontOrderRead:
    order = await repository.get(db, order_id)
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound()
    [view] = await _views(db, [order])
    return view


async def guest_order(
    db: AsyncSession, secret_key: str, tenant_id: uuid.UUID, order_id: uuid.UUID, token: str
) -> StorefrontOrderRead:
    verify_order_link(secret_key, token, tenant_id, order_id)
    order = await repository.get(db, order_id)
    if order is None:
        raise OrderNotFound()
    [view] = await _views(db, [order])
    return view


async def _views(db: AsyncSession, orders: list[Order]) -> list[StorefrontOrderRead]:
    """Orders loaded with their lines, as shoppers see them."""
    ids = [order.id for order in orders]
    fulfillments = await repository.fulfillments_by_order(db, ids) if ids else {}
    refunded = await payments_repository.refunded_by_order(db, ids) if ids else {}
    return [
        StorefrontOrderRead.model_validate(
            {
                **{name: getattr(order, name) for name in StorefrontOrderRead.model_fields if hasattr(order, name)},
                "lines": [OrderLineRead.model_validate(line) for line in order.lines],
                "fulfillments": [FulfillmentRead.model_validate(f) for f in fulfillments.get(order.id, [])],
                "refunded_total": refunded.get(order.id, 0),
            }
        )
        for order in orders
    ]
