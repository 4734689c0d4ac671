"""Stock: locations, levels, adjustments. Reservations are in ``reservations.py``.

The rules:

* A level exists per (variant, location) once stock was recorded there; adjusting or setting creates it at
  zero first. Quantities change only through single conditional ``UPDATE`` statements, so concurrent
  adjustments of one level all count (none is lost) and ``on_hand`` never goes below zero: an adjustment
  that would take it there is refused with 409 ``on_hand_would_be_negative`` and changes nothing.
* ``set`` is compare-and-set when asked: with ``expected_on_hand`` (the value the caller read), a level whose
  ``on_hand`` differs is refused with 409 ``inventory_level_changed`` naming the current value; with
  ``If-Match`` (the level's ``version``), a stale version is 412 ``version_mismatch``. Either way nothing
  changes.
* Every change appends one ledger row per quantity changed (delta, value after, reason, reference, actor)
  and records ``inventory_level.updated`` with the level's new state, in the same transaction.
* Stock moves only at active locations (409 ``location_inactive``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.events import service as events
from commerce.events.schemas import NewEvent
from commerce.inventory import repository
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
from commerce.inventory.models import (
    AdjustmentReason,
    InventoryAdjustment,
    InventoryLevel,
    Location,
    QuantityName,
)
from commerce.inventory.schemas import (
    LevelAdjust,
    LevelRead,
    LevelSet,
    LocationCreate,
    LocationRead,
    LocationUpdate,
    VariantAvailability,
)
from core.errors import VersionMismatch
from core.pagination import cursor_row, split_page

# --- locations -----------------------------------------------------------------------------------------


async def list_locations(db: AsyncSession, *, limit: int, starting_after: str | None) -> tuple[list[Location], bool]:
    after = await cursor_row(starting_after, lambda location_id: repository.get_location(db, location_id))
    return split_page(await repository.list_locations(db, limit, after=after), limit)


async def get_location(db: AsyncSession, location_id: uuid.UUID, *, lock: bool = False) -> Location:
    location = await repository.get_location(db, location_id, lock=lock)
    if location is None:
        raise LocationNotFound()
    return location


async def create_location(db: AsyncSession, body: LocationCreate, *, actor: Principal | None) -> Location:
    location = Location(name=body.name, is_active=True, version=1)
    db.add(location)
    await _flush_location(db, location)
    await _record_location(db, "created", location, actor)
    return location


async def update_location(
    db: AsyncSession, location_id: uuid.UUID, body: LocationUpdate, *, if_match: int | None, actor: Principal
) -> Location:
    """Rename or (de)activate a location; with ``if_match``, refuse (412) if it changed since that version."""
    location = await get_location(db, location_id, lock=True)
    if if_match is not None and location.version != if_match:
        raise VersionMismatch(current_version=location.version)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(location, field, value)
    location.version += 1
    await _flush_location(db, location)
    await _record_location(db, "updated", location, actor)
    return location


async def _flush_location(db: AsyncSession, location: Location) -> None:
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise LocationNameTaken(name=location.name) from exc


async def _record_location(db: AsyncSession, kind: str, location: Location, actor: Principal | None) -> None:
    data = LocationRead.model_validate(location).model_dump(mode="json")
    await events.record(
        db, type=f"location.{kind}", resource_id=location.id, version=location.version, data=data, actor=actor
    )


# --- levels --------------------------------------------------------------------------------------------


async def list_levels(
    db: AsyncSession,
    *,
    limit: int,
    starting_after: str | None,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    available_lt: int | None = None,
) -> tuple[list[InventoryLevel], bool]:
    """Levels in creation order, by variant, by location, or running low (``available < available_lt``)."""
    after = await cursor_row(starting_after, lambda level_id: repository.get_level(db, level_id))
    rows = await repository.list_levels(
        db, limit, after=after, variant_id=variant_id, location_id=location_id, available_lt=available_lt
    )
    return split_page(rows, limit)


async def get_level(db: AsyncSession, level_id: uuid.UUID) -> InventoryLevel:
    level = await repository.get_level(db, level_id)
    if level is None:
        raise InventoryLevelNotFound()
    return level


async def adjust(db: AsyncSession, body: LevelAdjust, *, actor: Principal | None) -> InventoryLevel:
    """Add ``delta`` to ``on_hand`` (see the module's rules)."""
    await _stock_place(db, body.variant_id, body.location_id)
    condition = InventoryLevel.on_hand + body.delta >= 0
    level = await repository.change_quantity(
        db, repository.at(body.variant_id, body.location_id), on_hand=body.delta, condition=condition
    )
    if level is None:
        current = await repository.lock_level(db, body.variant_id, body.location_id)
        raise OnHandWouldBeNegative(current_on_hand=current.on_hand if current else 0)
    await log_change(db, Change(level, QuantityName.ON_HAND, body.delta, body.reason, body.reference), actor)
    return level


async def set_on_hand(db: AsyncSession, body: LevelSet, *, if_match: int | None, actor: Principal) -> InventoryLevel:
    """Set ``on_hand`` to an absolute value, optionally compare-and-set (see the module's rules)."""
    await _stock_place(db, body.variant_id, body.location_id)
    level = await repository.lock_level(db, body.variant_id, body.location_id)
    if level is None:  # ensure_level just created it: only a concurrent product deletion removes it
        raise UnknownVariant()
    if if_match is not None and level.version != if_match:
        raise VersionMismatch(current_version=level.version)
    if body.expected_on_hand is not None and level.on_hand != body.expected_on_hand:
        raise InventoryLevelChanged(current_on_hand=level.on_hand, current_version=level.version)
    delta = body.on_hand - level.on_hand
    if delta == 0:
        return level
    changed = await repository.change_quantity(db, repository.by_id(level.id), on_hand=delta)
    assert changed is not None  # the row is locked by this transaction
    await log_change(db, Change(changed, QuantityName.ON_HAND, delta, body.reason, body.reference), actor)
    return changed


async def _stock_place(db: AsyncSession, variant_id: uuid.UUID, location_id: uuid.UUID) -> None:
    """The variant and the active location exist; their level exists (created at zero if needed)."""
    if await repository.get_variant(db, variant_id) is None:
        raise UnknownVariant(variant_id=str(variant_id))
    location = await repository.get_location(db, location_id)
    if location is None:
        raise UnknownLocation(location_id=str(location_id))
    if not location.is_active:
        raise LocationInactive()
    await repository.ensure_level(db, variant_id, location_id)


@dataclass(frozen=True, slots=True)
class Change:
    """A change already applied to ``level`` (its state after the change), to be logged."""

    level: InventoryLevel
    quantity: QuantityName
    delta: int
    reason: AdjustmentReason
    reference: str | None = None


async def log_change(db: AsyncSession, change: Change, actor: Principal | None) -> None:
    await log_changes(db, [change], actor)


async def log_changes(db: AsyncSession, changes: Sequence[Change], actor: Principal | None) -> None:
    """The ledger rows of changes already applied, and one ``inventory_level.updated`` event each.

    Call it after every level of the unit of work is changed: recording events locks the tenant's event
    counter, and a transaction that then waited for a level could deadlock with one holding that level.
    """
    for change in changes:
        level = change.level
        await repository.add_adjustment(
            db,
            InventoryAdjustment(
                level_id=level.id,
                variant_id=level.variant_id,
                location_id=level.location_id,
                quantity=change.quantity,
                delta=change.delta,
                quantity_after=getattr(level, change.quantity.value),
                reason=change.reason,
                reference=change.reference,
                actor_kind=actor.kind.value if actor is not None else None,
                actor_id=actor.id if actor is not None else None,
            ),
        )
    new_events = [
        NewEvent(
            "inventory_level.updated",
            change.level.id,
            change.level.version,
            LevelRead.model_validate(change.level).model_dump(mode="json"),
        )
        for change in changes
    ]
    await events.record_many(db, new_events, actor=actor)


# --- the ledger ----------------------------------------------------------------------------------------


async def list_adjustments(
    db: AsyncSession,
    *,
    limit: int,
    starting_after: str | None,
    level_id: uuid.UUID | None = None,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
) -> tuple[list[InventoryAdjustment], bool]:
    """The ledger, newest first."""
    after = await cursor_row(starting_after, lambda adjustment_id: repository.get_adjustment(db, adjustment_id))
    rows = await repository.list_adjustments(
        db, limit, after=after, level_id=level_id, variant_id=variant_id, location_id=location_id
    )
    return split_page(rows, limit)


# --- what storefronts see ------------------------------------------------------------------------------


async def storefront_availability(db: AsyncSession, variant_ids: Sequence[uuid.UUID]) -> list[VariantAvailability]:
    """Per variant: whether it can be bought, and the units available over active locations only if the shop opted
    in (``shop.show_inventory_quantities``). Untracked and backorder variants are always for sale."""
    return [
        VariantAvailability(variant_id=variant_id, available_for_sale=sellable, quantity_available=quantity)
        for variant_id, sellable, quantity in await repository.availability(db, variant_ids)
    ]
