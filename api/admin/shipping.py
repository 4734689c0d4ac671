"""Shipping zones and their rates (docs/pricing.md#shipping)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import IfMatch, ShippingRead, ShippingWrite, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.shipping import service as shipping_service
from commerce.shipping.errors import ShippingRateNotFound, ShippingZoneNotFound
from commerce.shipping.models import ShippingRate, ShippingZone
from commerce.shipping.schemas import (
    ShippingRateCreate,
    ShippingRateRead,
    ShippingRateUpdate,
    ShippingZoneCreate,
    ShippingZoneRead,
    ShippingZoneUpdate,
)
from core.errors import InvalidCursor, InvalidInput, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/shipping-zones", tags=["admin: shipping"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]
_ZONE = (ShippingZoneNotFound, TenantNotFound)
_RATE = (ShippingZoneNotFound, ShippingRateNotFound, TenantNotFound)


@router.get(
    "", response_model=Page[ShippingZoneRead], operation_id="shipping_zones_list", responses=problems(InvalidCursor)
)
async def list_shipping_zones(
    db: TenantSession, staff: ShippingRead, limit: Limit = DEFAULT_LIMIT, starting_after: Cursor = None
) -> Page[ShippingZoneRead]:
    """Zones in the order they were created."""
    rows, has_more = await shipping_service.list_zones(db, limit=limit, starting_after=starting_after)
    return Page[ShippingZoneRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post("", status_code=201, response_model=ShippingZoneRead, operation_id="shipping_zones_create")
async def create_shipping_zone(
    body: ShippingZoneCreate, db: TenantSession, staff: ShippingWrite, response: Response
) -> ShippingZone:
    """A zone of countries (`"FR"`) and subdivisions (`"US-CA"`); add its rates next."""
    return tag(response, await shipping_service.create_zone(db, body, actor=staff))


@router.get(
    "/{zone_id}", response_model=ShippingZoneRead, operation_id="shipping_zones_get", responses=problems(*_ZONE)
)
async def get_shipping_zone(
    zone_id: uuid.UUID, db: TenantSession, staff: ShippingRead, response: Response
) -> ShippingZone:
    """One zone. The `ETag` goes back in `If-Match` to change it safely."""
    return tag(response, await shipping_service.get_zone(db, zone_id))


@router.patch(
    "/{zone_id}",
    response_model=ShippingZoneRead,
    operation_id="shipping_zones_update",
    responses=problems(*_ZONE, VersionMismatch),
)
async def update_shipping_zone(
    zone_id: uuid.UUID,
    body: ShippingZoneUpdate,
    db: TenantSession,
    staff: ShippingWrite,
    if_match: IfMatch,
    response: Response,
) -> ShippingZone:
    """Rename the zone or replace its regions; with `If-Match`, 412 if it changed since."""
    return tag(response, await shipping_service.update_zone(db, zone_id, body, if_match=if_match, actor=staff))


@router.delete(
    "/{zone_id}", status_code=204, operation_id="shipping_zones_delete", responses=problems(*_ZONE, VersionMismatch)
)
async def delete_shipping_zone(zone_id: uuid.UUID, db: TenantSession, staff: ShippingWrite, if_match: IfMatch) -> None:
    """Delete the zone and its rates."""
    await shipping_service.delete_zone(db, zone_id, if_match=if_match, actor=staff)


@router.get(
    "/{zone_id}/rates",
    response_model=Page[ShippingRateRead],
    operation_id="shipping_rates_list",
    responses=problems(*_ZONE, InvalidCursor),
)
async def list_shipping_rates(
    zone_id: uuid.UUID,
    db: TenantSession,
    staff: ShippingRead,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: Cursor = None,
) -> Page[ShippingRateRead]:
    """The zone's rates in the order they were created (the order shoppers see them in)."""
    rows, has_more = await shipping_service.list_rates(db, zone_id, limit=limit, starting_after=starting_after)
    return Page[ShippingRateRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post(
    "/{zone_id}/rates",
    status_code=201,
    response_model=ShippingRateRead,
    operation_id="shipping_rates_create",
    responses=problems(*_ZONE, InvalidInput),
)
async def create_shipping_rate(
    zone_id: uuid.UUID, body: ShippingRateCreate, db: TenantSession, staff: ShippingWrite, response: Response
) -> ShippingRate:
    """A rate: an amount per currency, optional subtotal and weight ranges, a free-above threshold and a
    delivery estimate."""
    return tag(response, await shipping_service.create_rate(db, zone_id, body, actor=staff))


@router.get(
    "/{zone_id}/rates/{rate_id}",
    response_model=ShippingRateRead,
    operation_id="shipping_rates_get",
    responses=problems(*_RATE),
)
async def get_shipping_rate(
    zone_id: uuid.UUID, rate_id: uuid.UUID, db: TenantSession, staff: ShippingRead, response: Response
) -> ShippingRate:
    """One rate of the zone."""
    return tag(response, await shipping_service.get_rate(db, zone_id, rate_id))


@router.patch(
    "/{zone_id}/rates/{rate_id}",
    response_model=ShippingRateRead,
    operation_id="shipping_rates_update",
    responses=problems(*_RATE, InvalidInput, VersionMismatch),
)
async def update_shipping_rate(
    zone_id: uuid.UUID,
    rate_id: uuid.UUID,
    body: ShippingRateUpdate,
    db: TenantSession,
    staff: ShippingWrite,
    if_match: IfMatch,
    response: Response,
) -> ShippingRate:
    """Change the given fields (null clears an optional one); with `If-Match`, 412 if it changed since."""
    rate = await shipping_service.update_rate(db, zone_id, rate_id, body, if_match=if_match, actor=staff)
    return tag(response, rate)


@router.delete(
    "/{zone_id}/rates/{rate_id}",
    status_code=204,
    operation_id="shipping_rates_delete",
    responses=problems(*_RATE, VersionMismatch),
)
async def delete_shipping_rate(
    zone_id: uuid.UUID, rate_id: uuid.UUID, db: TenantSession, staff: ShippingWrite, if_match: IfMatch
) -> None:
    """Delete the rate."""
    await shipping_service.delete_rate(db, zone_id, rate_id, if_match=if_match, actor=staff)
