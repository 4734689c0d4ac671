"""Queries of the merchant's customers, their addresses and data exports."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.customers.models import Customer
from commerce.customers.models import CustomerAddress, CustomerDataExport
from core.pagination import after_row


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- customers ---------------------------------------------------------------------------------------


async def get(db: AsyncSession, customer_id: uuid.UUID, *, lock: bool = False) -> Customer | None:
    query = select(Customer).where(Customer.id == customer_id)
    if lock:  # concurrent changes of one customer serialise; populate_existing sees the row as locked
        query = query.with_for_update().execution_options(populate_existing=True)
    customer: Customer | None = await db.scalar(query)
    return customer


async def get_by_email(db: AsyncSession, email: str) -> Customer | None:
    customer: Customer | None = await db.scalar(select(Customer).where(Customer.email == email.lower()))
    return customer


async def get_by_external_id(db: AsyncSession, external_id: str) -> Customer | None:
    customer: Customer | None = await db.scalar(select(Customer).where(Customer.external_id == external_id))
    return customer


def _filtered(
    query: Select[tuple[Customer]], *, q: str | None, email: str | None, external_id: str | None, tag: str | None
) -> Select[tuple[Customer]]:
    if email is not None:
        query = query.where(Customer.email == email.lower())
    if external_id is not None:
        query = query.where(Customer.external_id == external_id)
    if tag is not None:
        query = query.where(Customer.tags.contains([tag]))  # @>: the GIN index serves it
    if q is not None:
        # Email by prefix (an index with text_pattern_ops serves it), names anywhere, external id exactly.
        term = _escape_like(q.lower())
        full_name = func.lower(Customer.first_name + " " + Customer.last_name)
        query = query.where(
            or_(
                Customer.email.like(term + "%", escape="\\"),
                full_name.like("%" + term + "%", escape="\\"),
                func.lower(Customer.name).like("%" + term + "%", escape="\\"),
                Customer.external_id == q,
            )
        )
    return query


async def list_page(
    db: AsyncSession,
    limit: int,
    *,
    after: Customer | None,
    q: str | None = None,
    email: str | None = None,
    external_id: str | None = None,
    tag: str | None = None,
) -> list[Customer]:
    """``limit + 1`` customers in creation order (ties by id) matching the filters, after ``after`` if given."""
    query = _filtered(select(Customer), q=q, email=email, external_id=external_id, tag=tag)
    if after is not None:
        query = query.where(after_row(Customer.created_at, Customer.id, after))
    return list(await db.scalars(query.order_by(Customer.created_at, Customer.id).limit(limit + 1)))


async def delete_customer(db: AsyncSession, customer: Customer) -> None:
    await db.delete(customer)
    await db.flush()


# --- addresses ---------------------------------------------------------------------------------------


async def list_addresses(db: AsyncSession, customer_id: uuid.UUID) -> list[CustomerAddress]:
    rows = await db.scalars(
        select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.created_at, CustomerAddress.id)
    )
    return list(rows)


async def count_addresses(db: AsyncSession, customer_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
    return await db.scalar(query) or 0


async def get_address(db: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID) -> CustomerAddress | None:
    address: CustomerAddress | None = await db.scalar(
        select(CustomerAddress).where(CustomerAddress.id == address_id, CustomerAddress.customer_id == customer_id)
    )
    return address


async def clear_default(
    db: AsyncSession, customer_id: uuid.UUID, *, shipping: bool, billing: bool, keep: uuid.UUID | None = None
) -> None:
    """Unset the customer's default shipping and/or billing address (but ``keep``'s), before a new default is set."""
    for wanted, column in ((shipping, "is_default_shipping"), (billing, "is_default_billing")):
        if not wanted:
            continue
        flag = getattr(CustomerAddress, column)
        query = update(CustomerAddress).where(CustomerAddress.customer_id == customer_id, flag.is_(True))
        if keep is not None:
            query = query.where(CustomerAddress.id != keep)
        await db.execute(query.values({column: False}).execution_options(synchronize_session="fetch"))


async def delete_addresses(db: AsyncSession, customer_id: uuid.UUID) -> None:
    await db.execute(
        delete(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .execution_options(synchronize_session="fetch")
    )


# --- data exports ------------------------------------------------------------------------------------


async def get_export(db: AsyncSession, customer_id: uuid.UUID, export_id: uuid.UUID) -> CustomerDataExport | None:
    export: CustomerDataExport | None = await db.scalar(
        select(CustomerDataExport).where(
            CustomerDataExport.id == export_id, CustomerDataExport.customer_id == customer_id
        )
    )
    return export


async def get_export_by_id(db: AsyncSession, export_id: uuid.UUID, *, lock: bool = False) -> CustomerDataExport | None:
    query = select(CustomerDataExport).where(CustomerDataExport.id == export_id)
    if lock:
        query = query.with_for_update()
    export: CustomerDataExport | None = await db.scalar(query)
    return export


async def delete_exports(db: AsyncSession, customer_id: uuid.UUID) -> None:
    await db.execute(
        delete(CustomerDataExport)
        .where(CustomerDataExport.customer_id == customer_id)
        .execution_options(synchronize_session="fetch")
    )
