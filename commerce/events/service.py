"""The event log: every change to the merchant's resources leaves exactly one event, in the same transaction.

A service records the event after it has flushed the change and just before it returns, through
``record`` (one resource) or ``record_many`` (a batch, such as an import). Nothing is published from
inside the transaction: consumers (outgoing webhooks, later) read the log after the commit, in
``sequence`` order. If the transaction rolls back, the change and its event disappear together.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.events import repository
from commerce.events.errors import EventNotFound
from commerce.events.models import Event
from commerce.events.schemas import EventActor, EventList, EventRead, NewEvent
from core.errors import InvalidInput
from core.ids import new_id
from core.pagination import cursor_row, split_page

# The resources whose changes are logged, and so the valid prefixes of a type filter.
RESOURCES = (
    "product",
    "variant",
    "collection",
    "inventory_level",
    "location",
    "customer",
    "order",
    "fulfillment",
    "refund",
    "shipping_zone",
    "shipping_rate",
    "tax_class",
    "tax_rate",
    "discount",
    "cart",
    "checkout",
    "order",
)
_TYPE_FILTER = re.compile(r"[a-z_]{1,32}\.(\*|[a-z_]{1,32})")


def _row(event: NewEvent, actor: Principal | None) -> dict[str, Any]:
    return {
        "id": new_id(),
        "type": event.type,
        "resource_id": event.resource_id,
        "resource_version": event.version,
        "data": event.data,
        "actor_kind": actor.kind.value if actor is not None else None,
        "actor_id": actor.id if actor is not None else None,
    }


async def record(
    db: AsyncSession,
    *,
    type: str,
    resource_id: uuid.UUID,
    version: int | None,
    data: dict[str, Any],
    actor: Principal | None = None,
) -> int:
    """Append one event (``data``: the resource's JSON snapshot after the change); returns its sequence.

    From here to the commit the tenant's event counter is locked: call this last in a service.
    """
    return await repository.insert_one(db, _row(NewEvent(type, resource_id, version, data), actor))


async def record_many(db: AsyncSession, events: Sequence[NewEvent], *, actor: Principal | None = None) -> int | None:
    """Append events in the given order, with consecutive sequences; returns the last one (None if none)."""
    if not events:
        return None
    return await repository.insert_many(db, [_row(event, actor) for event in events])


async def get_event(db: AsyncSession, event_id: uuid.UUID) -> EventRead:
    event = await repository.get(db, event_id)
    if event is None:
        raise EventNotFound()
    return read(event)


async def list_events(
    db: AsyncSession,
    *,
    limit: int,
    starting_after: str | None = None,
    types: Sequence[str] = (),
    resource_id: uuid.UUID | None = None,
) -> EventList:
    """Newest first; ``starting_after`` is the id of the last event of the previous page.

    A type filter is an event type (``product.created``) or every type of a resource (``product.*``).
    """
    bad = [pattern for pattern in types if not _TYPE_FILTER.fullmatch(pattern)]
    if bad:
        raise InvalidInput(
            errors=[{"loc": ["query", "type"], "message": f"not an event type: {bad[0]!r}", "type": "event_type"}]
        )
    cursor = await cursor_row(starting_after, lambda event_id: repository.get(db, event_id))
    rows = await repository.list_page(
        db,
        limit=limit,
        types=types,
        resource_id=resource_id,
        before_sequence=cursor.sequence if cursor is not None else None,
    )
    page, has_more = split_page(rows, limit)
    return EventList(data=[read(event) for event in page], has_more=has_more)


async def list_for_resource(db: AsyncSession, resource_id: uuid.UUID) -> list[Event]:
    """Every event of one resource, oldest first (a customer's data export)."""
    return await repository.list_for_resource(db, resource_id)


async def redact_resource(db: AsyncSession, resource_id: uuid.UUID, data: dict[str, Any]) -> None:
    """Replace the snapshot of every past event of a resource with ``data``: the one exception to an append-only
    log, for the GDPR erasure of a person (their events keep type, ids, versions and order, not their data)."""
    await repository.replace_data(db, resource_id, data)


def read(event: Event) -> EventRead:
    actor = (
        EventActor(kind=event.actor_kind, id=event.actor_id)
        if event.actor_kind is not None and event.actor_id is not None
        else None
    )
    return EventRead(
        id=event.id,
        sequence=event.sequence,
        type=event.type,
        resource_id=event.resource_id,
        resource_version=event.resource_version,
        data=event.data,
        actor=actor,
        created_at=event.created_at,
    )
