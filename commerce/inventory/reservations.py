"""Reservations: stock held for a cart during checkout, until it is released or expires.

* ``reserve`` holds ``quantity`` of a variant for ``reference`` (the cart) until ``expires_at``: it adds to the
  ``reserved`` quantity of the first active location (in creation order, or the one named) whose ``available``
  covers it, in one conditional ``UPDATE``, so two carts never both take the last unit. 409
  ``insufficient_stock`` if no location can.
* A variant that does not track inventory is always available: the reservation holds nothing. A variant that
  allows backorders is always available too: it is held at the first active location even past zero
  (``available`` goes negative), or nowhere if there is none.
* ``release`` (the cart is abandoned or emptied) and ``expire_due`` (the beat sweep,
  ``inventory.expire_reservations``) give the units back; each is done once (the reservation's status moves
  from ``active`` under a row lock), so a release racing the sweep never gives units back twice.
* Every change of ``reserved`` is a ledger row (``reservation_created|released|expired``) and an
  ``inventory_level.updated`` event. A caller reserving several variants in one transaction should do so in
  variant id order, so two checkouts lock levels in the same order.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.inventory import repository
from commerce.inventory.errors import InsufficientStock, ReservationNotFound, UnknownVariant
from commerce.inventory.models import AdjustmentReason, InventoryLevel, QuantityName, Reservation, ReservationStatus
from commerce.inventory.service import Change, log_change, log_changes
from core.clock import utcnow

SWEEP_BATCH = 500


async def reserve(
    db: AsyncSession,
    *,
    variant_id: uuid.UUID,
    quantity: int,
    reference: str,
    expires_at: datetime,
    location_id: uuid.UUID | None = None,
    actor: Principal | None = None,
) -> Reservation:
    """Hold ``quantity`` units of the variant for ``reference`` until ``expires_at`` (see the module's rules)."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    variant = await repository.get_variant(db, variant_id)
    if variant is None:
        raise UnknownVariant(variant_id=str(variant_id))
    held_at: uuid.UUID | None = None
    if variant.track_inventory:
        held_at = await _hold(db, variant_id, quantity, location_id, backorder=variant.allow_backorder, actor=actor)
    reservation = Reservation(
        variant_id=variant_id,
        location_id=held_at,
        quantity=quantity,
        reference=reference,
        expires_at=expires_at,
        status=ReservationStatus.ACTIVE,
    )
    db.add(reservation)
    await db.flush()
    return reservation


async def _hold(
    db: AsyncSession,
    variant_id: uuid.UUID,
    quantity: int,
    location_id: uuid.UUID | None,
    *,
    backorder: bool,
    actor: Principal | None,
) -> uuid.UUID | None:
    locations = [location.id for location in await repository.active_locations(db)]
    if location_id is not None:
        locations = [location for location in locations if location == location_id]
    covers = None if backorder else InventoryLevel.available >= quantity
    for candidate in locations:
        if backorder:
            await repository.ensure_level(db, variant_id, candidate)
        level = await repository.change_quantity(
            db, repository.at(variant_id, candidate), reserved=quantity, condition=covers
        )
        if level is not None:
            await log_change(
                db, Change(level, QuantityName.RESERVED, quantity, AdjustmentReason.RESERVATION_CREATED), actor
            )
            return candidate
    if backorder:
        return None  # no active location to hold it at: a backorder is available all the same
    raise InsufficientStock(variant_id=str(variant_id), requested=quantity)


async def release(db: AsyncSession, reservation_id: uuid.UUID, *, actor: Principal | None = None) -> Reservation:
    """Give the reservation's units back now; releasing a reservation that already ended changes nothing."""
    reservation = await repository.get_reservation(db, reservation_id, lock=True)
    if reservation is None:
        raise ReservationNotFound()
    change = await _end(db, reservation, ReservationStatus.RELEASED, AdjustmentReason.RESERVATION_RELEASED, utcnow())
    if change is not None:
        await log_change(db, change, actor)
    return reservation


async def expire_due(db: AsyncSession, *, now: datetime) -> int:
    """End the active reservations whose time has come (at ``now``), at most ``SWEEP_BATCH`` of them per call;
    returns how many. Rows another sweep holds are skipped (it expires them).

    Levels are changed in (variant, location) order and the ledger and events written after all of them.
    """
    due = await repository.lock_due_reservations(db, now, SWEEP_BATCH)
    changes: list[Change] = []
    for reservation in sorted(due, key=lambda row: (row.variant_id, row.location_id or uuid.UUID(int=0))):
        change = await _end(db, reservation, ReservationStatus.EXPIRED, AdjustmentReason.RESERVATION_EXPIRED, now)
        if change is not None:
            changes.append(change)
    await log_changes(db, changes, actor=None)
    return len(due)


async def _end(
    db: AsyncSession, reservation: Reservation, status: ReservationStatus, reason: AdjustmentReason, at: datetime
) -> Change | None:
    """End an active reservation and give its units back; the change to log, if a level changed."""
    if reservation.status is not ReservationStatus.ACTIVE:
        return None
    reservation.status = status
    reservation.ended_at = at
    await db.flush()
    if reservation.location_id is None:
        return None
    level = await repository.change_quantity(
        db, repository.at(reservation.variant_id, reservation.location_id), reserved=-reservation.quantity
    )
    if level is None:  # the variant was deleted since (its levels went with it)
        return None
    return Change(level, QuantityName.RESERVED, -reservation.quantity, reason, reservation.reference)
