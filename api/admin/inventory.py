from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import IfMatch, InventoryRead, InventoryWrite, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.inventory import service as inventory_service
from commerce.inventory.errors import (
    InventoryLevelChanged,
    InventoryLevelNotFound,
    LocationInactive,
    LocationNameTaken,
    LocationNotFound,
    OnHandWouldBeNegative,
    UnknownLocation,
    UnknownVariant,
)
from commerce.inventory.models import InventoryLevel, Location
from commerce.inventory.schemas import (
    MAX_QUANTITY,
    AdjustmentRead,
    LevelAdjust,
    LevelRead,
    LevelSet,
    LocationCreate,
    LocationRead,
    LocationUpdate,
)
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, tags=["admin: inventory"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]


# --- locations -----------------------------------------------------------------------------------------


@router.get(
    "/locations", response_model=Page[LocationRead], operation_id="locations_list", responses=problems(InvalidCursor)
)
async def list_locations(
    db: TenantSession, staff: InventoryRead, limit: Limit = DEFAULT_LIMIT, starting_after: Cursor = None
) -> Page[LocationRead]:
    """Locations in the order they were created (the order reservations take stock in)."""
    rows, has_more = await inventory_service.list_locations(db, limit=limit, starting_after=starting_after)
    return Page[LocationRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post(
    "/locations",
    status_code=201,
    response_model=LocationRead,
    operation_id="locations_create",
    responses=problems(LocationNameTaken),
)
async def create_location(body: LocationCreate, db: TenantSession, staff: InventoryWrite) -> Location:
    return await inventory_service.create_location(db, body, actor=staff)


@router.get(
    "/locations/{location_id}",
    response_model=LocationRead,
    operation_id="locations_get",
    responses=problems(LocationNotFound, TenantNotFound),
)
async def get_location(location_id: uuid.UUID, db: TenantSession, staff: InventoryRead, response: Response) -> Location:
    location = await inventory_service.get_location(db, location_id)
    tag(response, location)
    return location


@router.patch(
    "/locations/{location_id}",
    response_model=LocationRead,
    operation_id="locations_update",
    responses=problems(LocationNotFound, TenantNotFound, LocationNameTaken, VersionMismatch),
)
async def update_location(
    location_id: uuid.UUID,
    body: LocationUpdate,
    db: TenantSession,
    staff: InventoryWrite,
    if_match: IfMatch,
    response: Response,
) -> Location:
    """Rename or (de)activate. Locations are never deleted: deactivate one to stop stock moving there."""
    location = await inventory_service.update_location(db, location_id, body, if_match=if_match, actor=staff)
    tag(response, location)
    return location


# --- levels --------------------------------------------------------------------------------------------


@router.get(
    "/inventory-levels",
    response_model=Page[LevelRead],
    operation_id="inventory_levels_list",
    responses=problems(InvalidCursor),
)
async def list_inventory_levels(
    db: TenantSession,
    staff: InventoryRead,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    available_lt: Annotated[
        int | None,
        Query(ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Low stock: levels whose `available` is below this."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: Cursor = None,
) -> Page[LevelRead]:
    """Levels in creation order, filtered by variant, location, or low stock."""
    rows, has_more = await inventory_service.list_levels(
        db,
        limit=limit,
        starting_after=starting_after,
        variant_id=variant_id,
        location_id=location_id,
        available_lt=available_lt,
    )
    return Page[LevelRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.get(
    "/inventory-levels/{level_id}",
    response_model=LevelRead,
    operation_id="inventory_levels_get",
    responses=problems(InventoryLevelNotFound, TenantNotFound),
)
async def get_inventory_level(
    level_id: uuid.UUID, db: TenantSession, staff: InventoryRead, response: Response
) -> InventoryLevel:
    level = await inventory_service.get_level(db, level_id)
    tag(response, level)
    return level


@router.post(
    "/inventory-levels/adjust",
    response_model=LevelRead,
    operation_id="inventory_levels_adjust",
    responses=problems(UnknownVariant, UnknownLocation, LocationInactive, OnHandWouldBeNegative),
)
async def adjust_inventory_level(
    body: LevelAdjust, db: TenantSession, staff: InventoryWrite, response: Response
) -> InventoryLevel:
    """Add `delta` to `on_hand` of the variant at the location (the level is created at zero if needed).
    Concurrent adjustments all count; one that would take `on_hand` below zero is refused (409)."""
    level = await inventory_service.adjust(db, body, actor=staff)
    tag(response, level)
    return level


@router.post(
    "/inventory-levels/set",
    response_model=LevelRead,
    operation_id="inventory_levels_set",
    responses=problems(UnknownVariant, UnknownLocation, LocationInactive, InventoryLevelChanged, VersionMismatch),
)
async def set_inventory_level(
    body: LevelSet, db: TenantSession, staff: InventoryWrite, if_match: IfMatch, response: Response
) -> InventoryLevel:
    """Set `on_hand` to an absolute value. Compare-and-set with `expected_on_hand` (409 if it changed) or
    `If-Match` with the level's version (412 if it changed); nothing changes on a refusal."""
    level = await inventory_service.set_on_hand(db, body, if_match=if_match, actor=staff)
    tag(response, level)
    return level


# --- the ledger ----------------------------------------------------------------------------------------


@router.get(
    "/inventory-adjustments",
    response_model=Page[AdjustmentRead],
    operation_id="inventory_adjustments_list",
    responses=problems(InvalidCursor),
)
async def list_inventory_adjustments(
    db: TenantSession,
    staff: InventoryRead,
    level_id: uuid.UUID | None = None,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: Cursor = None,
) -> Page[AdjustmentRead]:
    """The append-only ledger of every quantity change, newest first."""
    rows, has_more = await inventory_service.list_adjustments(
        db,
        limit=limit,
        starting_after=starting_after,
        level_id=level_id,
        variant_id=variant_id,
        location_id=location_id,
    )
    return Page[AdjustmentRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)
