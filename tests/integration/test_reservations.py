"""Checkout's reservations: held stock, the last unit taken once, always-available variants, and expiry through
the real worker's sweep at an injected clock (never a sleep)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from celery import Celery
from sqlalchemy import select

from commerce.inventory import repository, reservations
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.models import Reservation, ReservationStatus
from commerce.inventory.service import storefront_availability
from core.clock import utcnow
from core.db import Database
from tenants.context import tenant_session
from tests.fixtures.inventory import MakeLocation, MakeVariant
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT, context_of, send
from workers.app import runtime_of
from workers.inventory.tasks import EXPIRE_RESERVATIONS

LEVELS = "/admin/v1/inventory-levels"


async def _stock(
    client: httpx.AsyncClient, tenant: TenantHandle, variant: uuid.UUID, location: dict[str, Any], n: int
) -> str:
    body = {"variant_id": str(variant), "location_id": location["id"], "delta": n, "reason": "received"}
    response = await client.post(f"{LEVELS}/adjust", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    level_id: str = response.json()["id"]
    return level_id


async def _level(client: httpx.AsyncClient, tenant: TenantHandle, level_id: str) -> dict[str, Any]:
    level: dict[str, Any] = (await client.get(f"{LEVELS}/{level_id}", headers=tenant.headers)).json()
    return level


async def _reserve(
    database: Database, tenant: TenantHandle, variant: uuid.UUID, quantity: int, **extra: Any
) -> Reservation:
    context = await context_of(database, tenant)
    async with tenant_session(database, context) as db:
        reservation = await reservations.reserve(
            db,
            variant_id=variant,
            quantity=quantity,
            reference=extra.pop("reference", f"cart-{uuid.uuid4().hex[:8]}"),
            expires_at=extra.pop("expires_at", utcnow() + timedelta(minutes=15)),
            **extra,
        )
        await db.commit()
        return reservation


async def _status(database: Database, tenant: TenantHandle, reservation_id: uuid.UUID) -> ReservationStatus:
    async with database.scoped_session(tenant.schema_name) as db:
        status = await db.scalar(select(Reservation.status).where(Reservation.id == reservation_id))
        assert status is not None
        return status


async def test_a_reservation_holds_stock_and_its_release_gives_it_back(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    level_id = await _stock(client, tenant_a, variant, location, 5)

    reservation = await _reserve(database, tenant_a, variant, 3)
    held = await _level(client, tenant_a, level_id)
    with pytest.raises(InsufficientStock):
        await _reserve(database, tenant_a, variant, 3)
    context = await context_of(database, tenant_a)
    async with tenant_session(database, context) as db:
        await reservations.release(db, reservation.id)
        await reservations.release(db, reservation.id)  # twice: gives back once
        await db.commit()

    assert (held["reserved"], held["available"], held["on_hand"]) == (3, 2, 5)
    released = await _level(client, tenant_a, level_id)
    assert (released["reserved"], released["available"]) == (0, 5)
    ledger = (
        await client.get("/admin/v1/inventory-adjustments", params={"level_id": level_id}, headers=tenant_a.headers)
    ).json()
    assert [(row["quantity"], row["delta"], row["reason"]) for row in ledger["data"]] == [
        ("reserved", -3, "reservation_released"),
        ("reserved", 3, "reservation_created"),
        ("on_hand", 5, "received"),
    ]


async def test_two_carts_racing_for_the_last_units_never_both_get_them(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    level_id = await _stock(client, tenant_a, variant, location, 4)

    outcomes = await asyncio.gather(
        *(_reserve(database, tenant_a, variant, 1) for _ in range(10)), return_exceptions=True
    )

    assert sum(isinstance(o, Reservation) for o in outcomes) == 4
    assert all(isinstance(o, (Reservation, InsufficientStock)) for o in outcomes)
    level = await _level(client, tenant_a, level_id)
    assert (level["reserved"], level["available"]) == (4, 0)


async def test_untracked_and_backorder_variants_are_always_available(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    untracked = await make_variant(tenant_a, track_inventory=False)
    backorder = await make_variant(tenant_a, allow_backorder=True)
    tracked = await make_variant(tenant_a)
    await make_location(tenant_a)

    free = await _reserve(database, tenant_a, untracked, 1000)
    owed = await _reserve(database, tenant_a, backorder, 2)
    context = await context_of(database, tenant_a)
    async with tenant_session(database, context) as db:
        variants = await repository.get_variants(db, [untracked, backorder, tracked])
        hidden = await storefront_availability(db, variants, show_quantities=False)
        shown = await storefront_availability(db, variants, show_quantities=True)

    assert free.location_id is None  # nothing held for an untracked variant
    assert owed.location_id is not None
    levels = (await client.get(LEVELS, params={"variant_id": str(backorder)}, headers=tenant_a.headers)).json()["data"]
    assert [(level["reserved"], level["available"]) for level in levels] == [(2, -2)]
    assert {v: (a.available_for_sale, a.quantity_available) for v, a in hidden.items()} == {
        untracked: (True, None),
        backorder: (True, None),
        tracked: (False, None),
    }
    assert shown[tracked].quantity_available == 0
    assert shown[untracked].quantity_available is None


async def test_the_sweep_on_the_real_worker_expires_what_is_due_and_only_that(
    client: httpx.AsyncClient,
    celery_worker: Celery,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    level_id = await _stock(client, tenant_a, variant, location, 10)
    now = utcnow()
    due = await _reserve(database, tenant_a, variant, 3, expires_at=now + timedelta(minutes=15))
    later = await _reserve(database, tenant_a, variant, 2, expires_at=now + timedelta(hours=2))
    runtime = runtime_of(celery_worker)
    runtime.clock = lambda: now + timedelta(minutes=30)  # the worker's "now": past the first, before the second
    try:
        result = send(celery_worker, EXPIRE_RESERVATIONS, await context_of(database, tenant_a))
        expired = result.get(timeout=TIMEOUT)
    finally:
        runtime.clock = utcnow

    assert expired == 1
    assert await _status(database, tenant_a, due.id) is ReservationStatus.EXPIRED
    assert await _status(database, tenant_a, later.id) is ReservationStatus.ACTIVE  # the sentinel stays
    level = await _level(client, tenant_a, level_id)
    assert (level["reserved"], level["available"]) == (2, 8)


async def test_the_beat_entry_fans_the_sweep_out_to_active_tenants(
    client: httpx.AsyncClient,
    celery_worker: Celery,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    entry = celery_worker.conf.beat_schedule[EXPIRE_RESERVATIONS]
    assert entry["task"] == "tenants.fan_out"
    assert entry["kwargs"] == {"task_name": EXPIRE_RESERVATIONS}
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    await _stock(client, tenant_a, variant, location, 1)
    due = await _reserve(database, tenant_a, variant, 1, expires_at=utcnow() - timedelta(seconds=1))

    celery_worker.send_task(entry["task"], kwargs=entry["kwargs"]).get(timeout=TIMEOUT)

    deadline = time.monotonic() + TIMEOUT
    while await _status(database, tenant_a, due.id) is ReservationStatus.ACTIVE and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await _status(database, tenant_a, due.id) is ReservationStatus.EXPIRED
