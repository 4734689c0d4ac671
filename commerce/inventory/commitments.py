"""Stock promised to orders: ``committed`` up when an order is placed, down when it ships or is canceled.

An order's commitments are found in the ledger, not in a table of their own: every ``committed`` change made
for an order carries a reference naming it (``order:<id>``, or ``checkout:<id>`` when checkout committed the
cart's reservation), so the units an order still holds at each location are the sum of those rows' deltas
(indexed by reference). The rules:

* ``commit`` adds to ``committed`` (an order placed without a reservation; the test factory).
* ``ship`` takes units out of the building: ``on_hand`` down at the location shipped from (409
  ``on_hand_would_be_negative`` if it has fewer), and ``committed`` down where the order holds it, at that
  location first, then at its other locations (the promise made elsewhere is kept by this shipment).
  Units the order never held (an untracked variant, a backorder) move ``on_hand`` only.
* ``release`` gives every unit an order still holds back to ``available`` (a canceled order).
* ``restock`` puts refunded units back on the shelf: ``on_hand`` up at an active location.

Levels are changed in (variant, location) order and the ledger and events are written after all of them
(``log_changes``), as the reservations do, so two orders never lock levels in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.inventory import repository
from commerce.inventory.errors import LocationInactive, OnHandWouldBeNegative, UnknownLocation
from commerce.inventory.models import AdjustmentReason, InventoryLevel, QuantityName
from commerce.inventory.service import Change, log_changes


@dataclass(frozen=True, slots=True)
class Units:
    variant_id: uuid.UUID
    quantity: int


def order_references(order_id: uuid.UUID, checkout_id: uuid.UUID | None) -> list[str]:
    """The ledger references under which an order's stock is committed."""
    references = [f"order:{order_id}"]
    if checkout_id is not None:
        references.append(f"checkout:{checkout_id}")
    return references


async def active_location(db: AsyncSession, location_id: uuid.UUID) -> None:
    """422 ``unknown_location`` or 409 ``location_inactive`` unless stock can move at the location."""
    location = await repository.get_location(db, location_id)
    if location is None:
        raise UnknownLocation(location_id=str(location_id))
    if not location.is_active:
        raise LocationInactive()


async def held(db: AsyncSession, references: Sequence[str]) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """(variant, location) -> units still committed under ``references``."""
    return {
        (variant, location): units
        for variant, location, units in await repository.committed_by_reference(db, references)
    }


async def commit(
    db: AsyncSession, location_id: uuid.UUID, units: Sequence[Units], *, reference: str, actor: Principal | None
) -> None:
    """Promise ``units`` at the location to the order named by ``reference`` (``committed`` up)."""
    changes: list[Change] = []
    for unit in sorted(units, key=lambda u: u.variant_id):
        await repository.ensure_level(db, unit.variant_id, location_id)
        level = await repository.change_quantity(
            db, repository.at(unit.variant_id, location_id), committed=unit.quantity
        )
        assert level is not None  # ensure_level created it
        changes.append(Change(level, QuantityName.COMMITTED, unit.quantity, AdjustmentReason.ORDER_PLACED, reference))
    await log_changes(db, changes, actor)


async def ship(
    db: AsyncSession,
    location_id: uuid.UUID,
    units: Sequence[Units],
    *,
    references: Sequence[str],
    actor: Principal | None,
) -> None:
    """Ship ``units`` from the location (see the module's rules). Variants that do not track stock, or no longer
    exist, are skipped. ``references[0]`` is written on the ledger rows."""
    await active_location(db, location_id)
    holding = await held(db, references)
    variants = await repository.get_variants(db, [unit.variant_id for unit in units])
    tracked = {variant.id for variant in variants if variant.track_inventory}
    plan: list[tuple[uuid.UUID, uuid.UUID, int, int]] = []  # (variant, location, on_hand delta, committed delta)
    for unit in units:
        if unit.variant_id not in tracked:
            continue
        plan.append((unit.variant_id, location_id, -unit.quantity, 0))
        remaining = unit.quantity
        places = sorted(
            (place for place in holding if place[0] == unit.variant_id),
            key=lambda place: (place[1] != location_id, str(place[1])),
        )
        for place in places:
            take = min(remaining, holding[place])
            if take > 0:
                plan.append((place[0], place[1], 0, -take))
                holding[place] -= take
                remaining -= take
    changes: list[Change] = []
    for variant_id, at_location, on_hand, committed in sorted(plan, key=lambda step: (step[0], step[1])):
        if on_hand:
            await repository.ensure_level(db, variant_id, at_location)
        condition = InventoryLevel.on_hand + on_hand >= 0 if on_hand else None
        level = await repository.change_quantity(
            db, repository.at(variant_id, at_location), on_hand=on_hand, committed=committed, condition=condition
        )
        if level is None:
            current = await repository.lock_level(db, variant_id, at_location)
            raise OnHandWouldBeNegative(
                f"location {at_location} has fewer units of variant {variant_id} on hand than shipped",
                variant_id=str(variant_id),
                current_on_hand=current.on_hand if current else 0,
            )
        if on_hand:
            changes.append(Change(level, QuantityName.ON_HAND, on_hand, AdjustmentReason.FULFILLED, references[0]))
        if committed:
            changes.append(Change(level, QuantityName.COMMITTED, committed, AdjustmentReason.FULFILLED, references[0]))
    await log_changes(db, changes, actor)


async def release(db: AsyncSession, *, references: Sequence[str], actor: Principal | None) -> int:
    """Give back every unit still committed under ``references``; returns how many units."""
    changes: list[Change] = []
    for (variant_id, location_id), units in sorted((await held(db, references)).items()):
        level = await repository.change_quantity(
            db,
            repository.at(variant_id, location_id),
            committed=-units,
            condition=InventoryLevel.committed >= units,
        )
        if level is None:  # the variant was deleted since (its levels went with it), or the level was reset
            continue
        changes.append(Change(level, QuantityName.COMMITTED, -units, AdjustmentReason.ORDER_CANCELED, references[0]))
    await log_changes(db, changes, actor)
    return -sum(change.delta for change in changes)


async def release_units(
    db: AsyncSession, variant_id: uuid.UUID, quantity: int, *, references: Sequence[str], actor: Principal | None
) -> int:
    """Give back up to ``quantity`` units of one variant that ``references`` hold (a refunded unit the order no
    longer owes), from its locations in id order; returns how many."""
    changes: list[Change] = []
    remaining = quantity
    for (held_variant, location_id), units in sorted((await held(db, references)).items()):
        if held_variant != variant_id or remaining == 0:
            continue
        take = min(units, remaining)
        level = await repository.change_quantity(
            db, repository.at(variant_id, location_id), committed=-take, condition=InventoryLevel.committed >= take
        )
        if level is None:
            continue
        remaining -= take
        changes.append(Change(level, QuantityName.COMMITTED, -take, AdjustmentReason.REFUND_RELEASE, references[0]))
    await log_changes(db, changes, actor)
    return quantity - remaining


async def restock(
    db: AsyncSession, location_id: uuid.UUID, units: Sequence[Units], *, reference: str, actor: Principal | None
) -> None:
    """Put refunded units back on hand at an active location (variants that do not track stock are skipped)."""
    await active_location(db, location_id)
    variants = await repository.get_variants(db, [unit.variant_id for unit in units])
    tracked = {variant.id for variant in variants if variant.track_inventory}
    changes: list[Change] = []
    for unit in sorted(units, key=lambda u: u.variant_id):
        if unit.variant_id not in tracked:
            continue
        await repository.ensure_level(db, unit.variant_id, location_id)
        level = await repository.change_quantity(db, repository.at(unit.variant_id, location_id), on_hand=unit.quantity)
        assert level is not None
        changes.append(Change(level, QuantityName.ON_HAND, unit.quantity, AdjustmentReason.REFUND_RESTOCK, reference))
    await log_changes(db, changes, actor)
