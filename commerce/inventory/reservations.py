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
* ``commit`` (an order was placed) moves a reference's units from ``reserved`` to ``committed``, or takes
  available stock directly for a line no longer held (never below zero: ``insufficient_stock``);
  ``release_reference`` gives back all of a reference's active reservations (a checkout canceled).
* Every change of ``reserved`` is a ledger row (``reservation_created|released|expired``) and an
  ``inventory_level.updated`` event. A caller reserving several variants in one transaction should do so in
  variant id order, so two checkouts lock levels in the same order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
    reservation, change = await _reserve(db, variant_id, quantity, reference, expires_at, location_id)
    if change is not None:
        await log_change(db, change, actor)
    return reservation


async def reserve_many(
    db: AsyncSession,
    lines: Sequence[tuple[uuid.UUID, int]],
    *,
    reference: str,
    expires_at: datetime,
    actor: Principal | None = None,
    deferred: list[Change] | None = None,
) -> list[Reservation]:
    """Hold several variants for one reference (a checkout): in variant id order, every level changed before any
    ledger row or event is written, so two checkouts never wait on each other in opposite orders. All or nothing:
    ``InsufficientStock`` names the first variant short of stock (the caller's transaction rolls back)."""
    held: list[Reservation] = []
    changes: list[Change] = []
    for variant_id, quantity in sorted(lines):
        reservation, change = await _reserve(db, variant_id, quantity, reference, expires_at, None)
        held.append(reservation)
        if change is not None:
            changes.append(change)
    await _log(db, changes, actor, deferred)
    return held


async def _reserve(
    db: AsyncSession,
    variant_id: uuid.UUID,
    quantity: int,
    reference: str,
    expires_at: datetime,
    location_id: uuid.UUID | None,
) -> tuple[Reservation, Change | None]:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    variant = await repository.get_variant(db, variant_id)
    if variant is None:
        raise UnknownVariant(variant_id=str(variant_id))
    change: Change | None = None
    if variant.track_inventory:
        change = await _take(
            db, variant_id, quantity, location_id, backorder=variant.allow_backorder, into=QuantityName.RESERVED
        )
    reservation = Reservation(
        variant_id=variant_id,
        location_id=change.level.location_id if change is not None else None,
        quantity=quantity,
        reference=reference,
        expires_at=expires_at,
        status=ReservationStatus.ACTIVE,
    )
    db.add(reservation)
    await db.flush()
    return reservation, change


async def _take(
    db: AsyncSession,
    variant_id: uuid.UUID,
    quantity: int,
    location_id: uuid.UUID | None,
    *,
    backorder: bool,
    into: QuantityName,
    reference: str | None = None,
) -> Change | None:
    """Add ``quantity`` to the ``into`` quantity (reserved or committed) of the first active location whose
    ``available`` covers it (any active location for a backorder); the change made, or None for a backorder with
    no active location. ``InsufficientStock`` if no location can."""
    locations = [location.id for location in await repository.active_locations(db)]
    if location_id is not None:
        locations = [location for location in locations if location == location_id]
    covers = None if backorder else InventoryLevel.available >= quantity
    reason = AdjustmentReason.RESERVATION_CREATED if into is QuantityName.RESERVED else AdjustmentReason.ORDER_PLACED
    for candidate in locations:
        if backorder:
            await repository.ensure_level(db, variant_id, candidate)
        level = await repository.change_quantity(
            db, repository.at(variant_id, candidate), condition=covers, **{into.value: quantity}
        )
        if level is not None:
            return Change(level, into, quantity, reason, reference)
    if backorder:
        return None  # no active location to hold it at: a backorder is available all the same
    raise InsufficientStock(variant_id=str(variant_id), requested=quantity)


async def commit(
    db: AsyncSession,
    lines: Sequence[tuple[uuid.UUID, int]],
    *,
    reference: str,
    at: datetime,
    actor: Principal | None = None,
    deferred: list[Change] | None = None,
) -> None:
    """An order took these units: move them to ``committed``, in variant id order, all or nothing.

    A line whose reservation for ``reference`` is still active moves from ``reserved`` to ``committed`` at the
    reservation's location (one conditional ``UPDATE``; the reservation becomes ``committed``). A line without one
    (the shop does not reserve, or the reservation expired or was released) takes available stock directly, under
    the same rule as ``reserve``: ``InsufficientStock`` if none is left, never a negative quantity. Ledger rows
    (``order_placed``) and events are written after every level changed.
    """
    active = {
        reservation.variant_id: reservation for reservation in await repository.lock_active_reservations(db, reference)
    }
    changes: list[Change] = []
    for variant_id, quantity in sorted(lines):
        reservation = active.pop(variant_id, None)
        if reservation is not None and reservation.quantity != quantity:  # held for another quantity: start over
            ended = await _end(db, reservation, ReservationStatus.RELEASED, AdjustmentReason.RESERVATION_RELEASED, at)
            changes.extend([ended] if ended is not None else [])
            reservation = None
        if reservation is not None:
            changes.extend(await _commit_reservation(db, reservation, at))
            continue
        variant = await repository.get_variant(db, variant_id)
        if variant is None:
            raise UnknownVariant(variant_id=str(variant_id))
        if not variant.track_inventory:
            continue
        change = await _take(
            db,
            variant_id,
            quantity,
            None,
            backorder=variant.allow_backorder,
            into=QuantityName.COMMITTED,
            reference=reference,
        )
        if change is not None:
            changes.append(change)
    for leftover in active.values():  # held for a line the order no longer has
        change = await _end(db, leftover, ReservationStatus.RELEASED, AdjustmentReason.RESERVATION_RELEASED, at)
        if change is not None:
            changes.append(change)
    await _log(db, changes, actor, deferred)


async def _commit_reservation(db: AsyncSession, reservation: Reservation, at: datetime) -> list[Change]:
    reservation.status = ReservationStatus.COMMITTED
    reservation.ended_at = at
    await db.flush()
    if reservation.location_id is None:
        return []
    quantity = reservation.quantity
    level = await repository.change_quantity(
        db,
        repository.at(reservation.variant_id, reservation.location_id),
        reserved=-quantity,
        committed=quantity,
        condition=InventoryLevel.reserved >= quantity,
    )
    if level is None:  # the variant was deleted since (its levels went with it)
        return []
    reason, reference = AdjustmentReason.ORDER_PLACED, reservation.reference
    return [
        Change(level, QuantityName.RESERVED, -quantity, reason, reference),
        Change(level, QuantityName.COMMITTED, quantity, reason, reference),
    ]


async def release_reference(
    db: AsyncSession,
    reference: str,
    *,
    at: datetime,
    actor: Principal | None = None,
    deferred: list[Change] | None = None,
) -> int:
    """Give back every active reservation of ``reference`` (a checkout canceled or failed); returns how many."""
    changes: list[Change] = []
    ended = await repository.lock_active_reservations(db, reference)
    for reservation in ended:
        change = await _end(db, reservation, ReservationStatus.RELEASED, AdjustmentReason.RESERVATION_RELEASED, at)
        if change is not None:
            changes.append(change)
    await _log(db, changes, actor, deferred)
    return len(ended)


async def _log(db: AsyncSession, changes: list[Change], actor: Principal | None, deferred: list[Change] | None) -> None:
    """Log now, or hand the changes to a caller that changes more levels first (``deferred``: it logs them all
    with ``commerce.inventory.service.log_changes`` once its last level changed)."""
    if deferred is not None:
        deferred.extend(changes)
    else:
        await log_changes(db, changes, actor)


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
