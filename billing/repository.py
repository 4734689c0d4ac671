from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import EventStatus, StripeAccount, StripeEvent


async def lock_tenant_account(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise account creation for one tenant until the transaction ends (two jobs never both call Stripe)."""
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('billing.account'), hashtext(:tenant))"), {"tenant": str(tenant_id)}
    )


async def get_account(db: AsyncSession, tenant_id: uuid.UUID, *, for_update: bool = False) -> StripeAccount | None:
    query = select(StripeAccount).where(StripeAccount.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def get_account_by_stripe_id(
    db: AsyncSession, account_id: str, *, for_update: bool = False
) -> StripeAccount | None:
    query = select(StripeAccount).where(StripeAccount.account_id == account_id)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def insert_event(db: AsyncSession, values: dict[str, Any]) -> bool:
    """Store an event unless its id is already stored; True if this call stored it."""
    inserted = await db.scalar(
        insert(StripeEvent).values(**values).on_conflict_do_nothing(index_elements=["id"]).returning(StripeEvent.id)
    )
    return inserted is not None


async def get_event(db: AsyncSession, event_id: str, *, for_update: bool = False) -> StripeEvent | None:
    query = select(StripeEvent).where(StripeEvent.id == event_id)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def stale_pending_events(
    db: AsyncSession, *, received_before: datetime, received_after: datetime, limit: int
) -> list[StripeEvent]:
    query = (
        select(StripeEvent)
        .where(
            StripeEvent.status == EventStatus.PENDING,
            StripeEvent.tenant_id.is_not(None),
            StripeEvent.received_at < received_before,
            StripeEvent.received_at > received_after,
        )
        .order_by(StripeEvent.received_at)
        .limit(limit)
    )
    return list((await db.scalars(query)).all())
