"""Queries of orders, their lines, fulfilments and timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from auth.customers.models import Customer
from billing.payments.models import PaymentStatus
from commerce.orders.models import (
    Fulfillment,
    FulfillmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from core.pagination import after_row


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    archived: bool | None = False
    created_gte: datetime | None = None
    created_lt: datetime | None = None
    customer_id: uuid.UUID | None = None
    email: str | None = None
    number: int | None = None
    q: str | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(q: str) -> ColumnElement[bool]:
    """``#1042`` or ``1042``: the number; ``ada@`` or ``ada@example.com``: an email prefix (the lower(email)
    pattern index); otherwise an email prefix or a customer name containing the words."""
    term = q.strip()
    digits = term.removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return Order.number == int(digits)
    email_prefix = func.lower(Order.email).like(f"{_escape_like(term.lower())}%", escape="\\")
    if "@" in term:
        return email_prefix
    contains = f"%{_escape_like(term)}%"
    named = (
        select(Customer.id)
        .where(
            Customer.id == Order.customer_id,
            or_(
                Customer.name.ilike(contains, escape="\\"),
                (Customer.first_name + " " + Customer.last_name).ilike(contains, escape="\\"),
            ),
        )
        .exists()
    )
    return or_(email_prefix, named)


async def list_orders(
    db: AsyncSession, filters: OrderFilters, limit: int, *, after: Order | None, with_lines: bool = False
) -> list[Order]:
    """Newest first, ties by id (with their lines in one more query when asked)."""
    query = select(Order)
    if with_lines:
        query = query.options(selectinload(Order.lines))
    for column, value in (
        (Order.status, filters.status),
        (Order.payment_status, filters.payment_status),
        (Order.fulfillment_status, filters.fulfillment_status),
        (Order.customer_id, filters.customer_id),
        (Order.number, filters.number),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.archived is not None:
        query = query.where(Order.archived_at.is_not(None) if filters.archived else Order.archived_at.is_(None))
    if filters.email is not None:
        query = query.where(func.lower(Order.email) == filters.email.lower())
    if filters.created_gte is not None:
        query = query.where(Order.created_at >= filters.created_gte)
    if filters.created_lt is not None:
        query = query.where(Order.created_at < filters.created_lt)
    if filters.q:
        query = query.where(_search(filters.q))
    if after is not None:
        query = query.where(after_row(Order.created_at, Order.id, after, descending=True))
    return list(await db.scalars(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)))


async def get(db: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> Order | None:
    query = select(Order).where(Order.id == order_id).options(selectinload(Order.lines))
    if lock:
        query = query.with_for_update(of=Order).execution_options(populate_existing=True)
    order: Order | None = await db.scalar(query)
    return order


async def get_plain(db: AsyncSession, order_id: uuid.UUID) -> Order | None:
    order: Order | None = await db.scalar(select(Order).where(Order.id == order_id))
    return order


async def lock_lines(db: AsyncSession, order_id: uuid.UUID) -> list[OrderLine]:
    query = (
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.position)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(query))


async def fulfillments_of(db: AsyncSession, order_id: uuid.UUID) -> list[Fulfillment]:
    query = (
        select(Fulfillment)
        .where(Fulfillment.order_id == order_id)
        .options(selectinload(Fulfillment.lines))
        .order_by(Fulfillment.created_at, Fulfillment.id)
    )
    return list(await db.scalars(query))


async def fulfillments_by_order(db: AsyncSession, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Fulfillment]]:
    query = (
        select(Fulfillment)
        .where(Fulfillment.order_id.in_(order_ids))
        .options(selectinload(Fulfillment.lines))
        .order_by(Fulfillment.created_at, Fulfillment.id)
    )
    found: dict[uuid.UUID, list[Fulfillment]] = {}
    for fulfillment in await db.scalars(query):
        found.setdefault(fulfillment.order_id, []).append(fulfillment)
    return found


async def get_fulfillment(db: AsyncSession, order_id: uuid.UUID, fulfillment_id: uuid.UUID) -> Fulfillment | None:
    query = (
        select(Fulfillment)
        .where(Fulfillment.id == fulfillment_id, Fulfillment.order_id == order_id)
        .options(selectinload(Fulfillment.lines))
    )
    found: Fulfillment | None = await db.scalar(query)
    return found


async def timeline(db: AsyncSession, order_id: uuid.UUID) -> list[OrderEvent]:
    query = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.created_at, OrderEvent.id)
    return list(await db.scalars(query))


async def add(db: AsyncSession, *rows: object) -> None:
    db.add_all(rows)
    await db.flush()
