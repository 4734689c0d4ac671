"""Queries of stock. Quantities change only through the conditional ``UPDATE``s here: each is atomic in
PostgreSQL (the row is locked for the statement and re-checked after any wait), so concurrent changes of one
level never lose an update and a condition such as ``on_hand + delta >= 0`` holds at the moment of writing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.catalog.models import Variant
from commerce.inventory.models import (
    InventoryAdjustment,
    InventoryLevel,
    Location,
    Reservation,
    ReservationStatus,
)
from commerce.shop.models import ShopSettings
from core.pagination import after_row

# --- variants (read only) -------------------------------------------------------------------------------


async def get_variant(db: AsyncSession, variant_id: uuid.UUID) -> Variant | None:
    variant: Variant | None = await db.scalar(select(Variant).where(Variant.id == variant_id))
    return variant


async def get_variants(db: AsyncSession, variant_ids: Sequence[uuid.UUID]) -> list[Variant]:
    return list(await db.scalars(select(Variant).where(Variant.id.in_(list(variant_ids)))))


# --- locations -----------------------------------------------------------------------------------------


async def get_location(db: AsyncSession, location_id: uuid.UUID, *, lock: bool = False) -> Location | None:
    query = select(Location).where(Location.id == location_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    location: Location | None = await db.scalar(query)
    return location


async def list_locations(db: AsyncSession, limit: int, *, after: Location | None) -> list[Location]:
    query = select(Location).order_by(Location.created_at, Location.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_row(Location.created_at, Location.id, after))
    return list(await db.scalars(query))


async def active_locations(db: AsyncSession) -> list[Location]:
    """Active locations in creation order: the order in which reservations take stock."""
    query = select(Location).where(Location.is_active.is_(True)).order_by(Location.created_at, Location.id)
    return list(await db.scalars(query))


# --- levels --------------------------------------------------------------------------------------------


async def get_level(db: AsyncSession, level_id: uuid.UUID) -> InventoryLevel | None:
    level: InventoryLevel | None = await db.scalar(select(InventoryLevel).where(InventoryLevel.id == level_id))
    return level


async def ensure_level(db: AsyncSession, variant_id: uuid.UUID, location_id: uuid.UUID) -> None:
    """Create the (variant, location) level at zero if it does not exist; a concurrent creator is harmless."""
    statement = pg_insert(InventoryLevel).values(
        id=uuid.uuid4(), variant_id=variant_id, location_id=location_id, on_hand=0, committed=0, reserved=0, version=1
    )
    await db.execute(statement.on_conflict_do_nothing(index_elements=["variant_id", "location_id"]))


async def lock_level(db: AsyncSession, variant_id: uuid.UUID, location_id: uuid.UUID) -> InventoryLevel | None:
    query = (
        select(InventoryLevel)
        .where(InventoryLevel.variant_id == variant_id, InventoryLevel.location_id == location_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    level: InventoryLevel | None = await db.scalar(query)
    return level


async def change_quantity(
    db: AsyncSession,
    level_filter: Sequence[Any],
    *,
    on_hand: int = 0,
    reserved: int = 0,
    committed: int = 0,
    condition: Any = None,
) -> InventoryLevel | None:
    """Add to ``on_hand``/``reserved``/``committed`` of the level matching ``level_filter`` where ``condition`` holds, in one
    statement; the updated level, or None if no level matched (missing, or the condition failed)."""
    query = update(InventoryLevel).where(*level_filter)
    if condition is not None:
        query = query.where(condition)
    query = query.values(
        on_hand=InventoryLevel.on_hand + on_hand,
        reserved=InventoryLevel.reserved + reserved,
        committed=InventoryLevel.committed + committed,
        version=InventoryLevel.version + 1,
        updated_at=func.now(),
    ).returning(InventoryLevel)
    level: InventoryLevel | None = await db.scalar(query.execution_options(populate_existing=True))
    return level


def at(variant_id: uuid.UUID, location_id: uuid.UUID) -> list[Any]:
    return [InventoryLevel.variant_id == variant_id, InventoryLevel.location_id == location_id]


def by_id(level_id: uuid.UUID) -> list[Any]:
    return [InventoryLevel.id == level_id]


async def list_levels(
    db: AsyncSession,
    limit: int,
    *,
    after: InventoryLevel | None,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    available_lt: int | None = None,
) -> list[InventoryLevel]:
    query = select(InventoryLevel)
    if variant_id is not None:
        query = query.where(InventoryLevel.variant_id == variant_id)
    if location_id is not None:
        query = query.where(InventoryLevel.location_id == location_id)
    if available_lt is not None:
        query = query.where(InventoryLevel.available < available_lt)
    if after is not None:
        query = query.where(after_row(InventoryLevel.created_at, InventoryLevel.id, after))
    return list(await db.scalars(query.order_by(InventoryLevel.created_at, InventoryLevel.id).limit(limit + 1)))


# --- what storefronts see (SQL expressions, correlated to ``Variant``) ----------------------------------


def _available_at_active_locations() -> Any:
    return (
        select(InventoryLevel.available)
        .join(Location, Location.id == InventoryLevel.location_id)
        .where(InventoryLevel.variant_id == Variant.id, Location.is_active.is_(True))
        .correlate(Variant)
    )


def sellable() -> ColumnElement[bool]:
    """Whether a shopper may buy the variant: it does not track stock, allows backorders, or some active location
    has a unit available. The one definition, used by the storefront's product JSON and ``availability``."""
    in_stock = _available_at_active_locations().where(InventoryLevel.available > 0).exists()
    return or_(Variant.track_inventory.is_(False), Variant.allow_backorder.is_(True), in_stock)


def shown_quantity() -> ColumnElement[int | None]:
    """Units available over active locations, for a tracked variant of a shop that opted in to show them."""
    total = (
        select(func.greatest(func.coalesce(func.sum(InventoryLevel.available), 0), 0))
        .join(Location, Location.id == InventoryLevel.location_id)
        .where(InventoryLevel.variant_id == Variant.id, Location.is_active.is_(True))
        .correlate(Variant)
        .scalar_subquery()
    )
    opted_in = select(ShopSettings.show_inventory_quantities).where(ShopSettings.id == 1).scalar_subquery()
    return case((and_(opted_in.is_(True), Variant.track_inventory.is_(True)), total), else_=null())


async def availability(db: AsyncSession, variant_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, bool, int | None]]:
    """(variant id, sellable, shown quantity) of each variant."""
    rows = await db.execute(select(Variant.id, sellable(), shown_quantity()).where(Variant.id.in_(list(variant_ids))))
    return [(row[0], row[1], row[2]) for row in rows]


# --- the ledger ----------------------------------------------------------------------------------------


async def add_adjustment(db: AsyncSession, adjustment: InventoryAdjustment) -> None:
    db.add(adjustment)
    await db.flush()


async def get_adjustment(db: AsyncSession, adjustment_id: uuid.UUID) -> InventoryAdjustment | None:
    found: InventoryAdjustment | None = await db.scalar(
        select(InventoryAdjustment).where(InventoryAdjustment.id == adjustment_id)
    )
    return found


async def list_adjustments(
    db: AsyncSession,
    limit: int,
    *,
    after: InventoryAdjustment | None,
    level_id: uuid.UUID | None = None,
    variant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
) -> list[InventoryAdjustment]:
    """Newest first (a ledger is read from its end), ties by id."""
    query = select(InventoryAdjustment)
    for column, value in (
        (InventoryAdjustment.level_id, level_id),
        (InventoryAdjustment.variant_id, variant_id),
        (InventoryAdjustment.location_id, location_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        query = query.where(after_row(InventoryAdjustment.created_at, InventoryAdjustment.id, after, descending=True))
    order = (InventoryAdjustment.created_at.desc(), InventoryAdjustment.id.desc())
    return list(await db.scalars(query.order_by(*order).limit(limit + 1)))


# --- reservations --------------------------------------------------------------------------------------


async def get_reservation(db: AsyncSession, reservation_id: uuid.UUID, *, lock: bool = False) -> Reservation | None:
    query = select(Reservation).where(Reservation.id == reservation_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    reservation: Reservation | None = await db.scalar(query)
    return reservation


async def lock_active_reservations(db: AsyncSession, reference: str) -> list[Reservation]:
    """The reference's active reservations, locked, in variant order."""
    query = (
        select(Reservation)
        .where(Reservation.reference == reference, Reservation.status == ReservationStatus.ACTIVE)
        .order_by(Reservation.variant_id, Reservation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(query))


async def lock_due_reservations(db: AsyncSession, now: datetime, limit: int) -> list[Reservation]:
    """Active reservations expired at ``now``, locked; rows another sweep holds are skipped, not waited for."""
    query = (
        select(Reservation)
        .where(Reservation.status == ReservationStatus.ACTIVE, Reservation.expires_at <= now)
        .order_by(Reservation.expires_at, Reservation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await db.scalars(query))


async def tracked_variants_without_stock(db: AsyncSession) -> list[uuid.UUID]:
    """Variants that track stock and have no level anywhere, oldest product first (the demo seed)."""
    query = (
        select(Variant.id)
        .where(
            Variant.track_inventory.is_(True),
            ~select(InventoryLevel.id).where(InventoryLevel.variant_id == Variant.id).exists(),
        )
        .order_by(Variant.created_at, Variant.position, Variant.id)
    )
    return list(await db.scalars(query))


async def committed_by_reference(db: AsyncSession, references: Sequence[str]) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """(variant, location, units) still committed under ``references``: the sum of the ledger's ``committed``
    deltas written with them (an order's commit, and its shipments and releases), where positive."""
    total = func.sum(InventoryAdjustment.delta)
    query = (
        select(InventoryAdjustment.variant_id, InventoryAdjustment.location_id, total)
        .where(InventoryAdjustment.reference.in_(list(references)), InventoryAdjustment.quantity == "committed")
        .group_by(InventoryAdjustment.variant_id, InventoryAdjustment.location_id)
        .having(total > 0)
        .order_by(InventoryAdjustment.variant_id, InventoryAdjustment.location_id)
    )
    return [(row[0], row[1], int(row[2])) for row in await db.execute(query)]


async def first_location(db: AsyncSession) -> Location | None:
    location: Location | None = await db.scalar(select(Location).order_by(Location.created_at, Location.id).limit(1))
    return location
