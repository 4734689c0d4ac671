"""The event log (scope ``events:read``), like Stripe's ``/v1/events``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import EventsRead, TenantSession
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.events import service as events_service
from commerce.events.errors import EventNotFound
from commerce.events.schemas import EventList, EventRead
from core.errors import InvalidCursor
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/events", tags=["admin: events"])


@router.get("", response_model=EventList, operation_id="events_list", responses=problems(InvalidCursor))
async def list_events(
    db: TenantSession,
    staff: EventsRead,
    type: Annotated[
        list[Text] | None,
        Query(
            description="Event types to include (`product.created`), or all of a resource (`product.*`); repeatable."
        ),
    ] = None,
    resource_id: Annotated[uuid.UUID | None, Query(description="Only events of this resource.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    starting_after: Annotated[Text | None, Query(description="Id of the last event of the previous page.")] = None,
) -> EventList:
    """Events, newest first."""
    return await events_service.list_events(
        db, limit=limit, starting_after=starting_after, types=type or (), resource_id=resource_id
    )


@router.get(
    "/{event_id}",
    response_model=EventRead,
    operation_id="events_get",
    responses=problems(EventNotFound, TenantNotFound),
)
async def get_event(event_id: uuid.UUID, db: TenantSession, staff: EventsRead) -> EventRead:
    return await events_service.get_event(db, event_id)
