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

from commerce.inventory import reservations
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.models import Reservation, ReservationStatus
from commerce.inventory.service import storefront_availability
from core.clock import utcnow
from core.db import Database
from tenants.context import tenant_session
from tests.fixtures.catalog import MakePublishableKey
from tests.fixtures.inventory import MakeLocation, MakeVariant
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT, context_of, new_marker, observed, send
from workers.inventory.tasks import EXPIRE_RESERVATIONS
from workers.task import runtime_of

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
    await make_location(tenant_a)

    free = await _reserve(database, tenant_a, untracked, 1000)
    owed = await _reserve(database, tenant_a, backorder, 2)

    assert free.location_id is None  # nothing held for an untracked variant
    assert owed.location_id is not None  # a backorder is held past zero
    levels = (await client.get(LEVELS, params={"variant_id": str(backorder)}, headers=tenant_a.headers)).json()["data"]
    assert [(level["reserved"], level["available"]) for level in levels] == [(2, -2)]


async def test_the_storefront_shows_availability_and_counts_only_when_the_shop_opts_in(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
    make_publishable_key: MakePublishableKey,
) -> None:
    in_stock, sold_out = await make_variant(tenant_a), await make_variant(tenant_a)
    untracked, backorder = (
        await make_variant(tenant_a, track_inventory=False),
        await make_variant(tenant_a, allow_backorder=True),
    )
    location = await make_location(tenant_a)
    await _stock(client, tenant_a, in_stock, location, 3)
    await _stock(client, tenant_a, sold_out, location, 1)
    await _reserve(database, tenant_a, sold_out, 1)  # the last unit is in a cart
    key = await make_publishable_key(tenant_a)

    async def shown() -> dict[str, tuple[bool, int | None]]:
        response = await client.get("/storefront/v1/products", params={"limit": 100}, headers=key.headers)
        assert response.status_code == 200, response.text
        variants = [variant for product in response.json()["data"] for variant in product["variants"]]
        return {v["id"]: (v["available_for_sale"], v["quantity_available"]) for v in variants}

    hidden = await shown()
    opted_in = await client.patch("/admin/v1/shop", json={"show_inventory_quantities": True}, headers=tenant_a.headers)
    assert opted_in.status_code == 200
    counted = await shown()

    ids = {
        name: str(variant)
        for name, variant in (("in", in_stock), ("out", sold_out), ("u", untracked), ("b", backorder))
    }
    assert {name: hidden[i] for name, i in ids.items()} == {
        "in": (True, None),
        "out": (False, None),
        "u": (True, None),
        "b": (True, None),
    }
    assert {name: counted[i] for name, i in ids.items()} == {
        "in": (True, 3),
        "out": (False, 0),
        "u": (True, None),
        "b": (True, 0),
    }
    [availability] = await _availability(database, tenant_a, in_stock)
    assert (availability.available_for_sale, availability.quantity_available) == (True, 3)


async def _availability(database: Database, tenant: TenantHandle, variant: uuid.UUID) -> list[Any]:
    async with database.scoped_session(tenant.schema_name) as db:
        return list(await storefront_availability(db, [variant]))


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

    tenants = celery_worker.send_task(entry["task"], kwargs=entry["kwargs"]).get(timeout=TIMEOUT)

    # A sentinel queued after the fan-out's jobs: the worker runs one task at a time, in order, so when it
    # is observed every tenant's sweep has run (and none is left to slow the tests that follow).
    marker = new_marker()
    send(celery_worker, "tests.observe", await context_of(database, tenant_a), marker=marker)
    deadline = time.monotonic() + TIMEOUT * 3
    while not observed[marker] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert observed[marker], f"the sentinel behind {tenants} sweeps never ran"
    assert await _status(database, tenant_a, due.id) is ReservationStatus.EXPIRED
