from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, bindparam, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.events.models import Event, EventCounter


def _bump_counter(count: int) -> Any:
    """Add ``count`` to the tenant's counter (creating it on the first event) and return the new last value.

    The row stays locked until the transaction ends: the next writer waits, so sequences follow commit order.
    """
    statement = pg_insert(EventCounter).values(id=1, last_sequence=count)
    return statement.on_conflict_do_update(
        index_elements=[EventCounter.id], set_={"last_sequence": EventCounter.last_sequence + count}
    ).returning(EventCounter.last_sequence)


async def insert_one(db: AsyncSession, row: dict[str, Any]) -> int:
    """Insert one event and take its sequence in one statement (one round trip); returns the sequence."""
    counter = _bump_counter(1).cte("counter")
    values = select(
        literal(row["id"]),
        counter.c.last_sequence,
        literal(row["type"]),
        literal(row["resource_id"]),
        literal(row["resource_version"], type_=Event.resource_version.type),
        bindparam("data", row["data"], type_=JSONB),
        literal(row["actor_kind"], type_=Event.actor_kind.type),
        literal(row["actor_id"], type_=Event.actor_id.type),
    )
    columns = ["id", "sequence", "type", "resource_id", "resource_version", "data", "actor_kind", "actor_id"]
    statement = insert(Event).from_select(columns, values, include_defaults=False).returning(Event.sequence)
    sequence: int = (await db.execute(statement)).scalar_one()
    return sequence


async def insert_many(db: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert events in order, numbered after the counter; returns the last sequence (two round trips)."""
    last: int = (await db.execute(_bump_counter(len(rows)))).scalar_one()
    first = last - len(rows) + 1
    await db.execute(insert(Event), [{**row, "sequence": first + index} for index, row in enumerate(rows)])
    return last


async def get(db: AsyncSession, event_id: uuid.UUID) -> Event | None:
    event: Event | None = await db.get(Event, event_id)
    return event


def _type_filter(types: Sequence[str]) -> Any:
    """``product.created`` matches itself; ``product.*`` matches every type of the product resource."""
    clauses = [
        Event.type.startswith(pattern.removesuffix("*"), autoescape=True)
        if pattern.endswith(".*")
        else Event.type == pattern
        for pattern in types
    ]
    return or_(*clauses)


async def list_page(
    db: AsyncSession,
    *,
    limit: int,
    types: Sequence[str] = (),
    resource_id: uuid.UUID | None = None,
    before_sequence: int | None = None,
) -> list[Event]:
    """Newest first (like Stripe's ``/v1/events``); ``limit + 1`` rows so the caller can tell ``has_more``."""
    query = select(Event)
    if types:
        query = query.where(_type_filter(types))
    if resource_id is not None:
        query = query.where(Event.resource_id == resource_id)
    if before_sequence is not None:
        query = query.where(Event.sequence < literal(before_sequence, BigInteger))
    rows = await db.scalars(query.order_by(Event.sequence.desc()).limit(limit + 1))
    return list(rows)


async def list_for_resource(db: AsyncSession, resource_id: uuid.UUID) -> list[Event]:
    """Every event of one resource, oldest first."""
    rows = await db.scalars(select(Event).where(Event.resource_id == resource_id).order_by(Event.sequence))
    return list(rows)


async def replace_data(db: AsyncSession, resource_id: uuid.UUID, data: dict[str, Any]) -> None:
    """Overwrite the snapshot of every event of one resource (GDPR erasure); types, ids and order stay."""
    await db.execute(
        update(Event)
        .where(Event.resource_id == resource_id)
        .values(data=bindparam("redacted", data, type_=JSONB))
        .execution_options(synchronize_session=False)
    )
