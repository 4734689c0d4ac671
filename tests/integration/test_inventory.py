"""Stock on the admin API: locations, levels, adjustments under concurrency, compare-and-set, the ledger, isolation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from core.db import Database
from tests.fixtures.customers import events_of
from tests.fixtures.inventory import MakeLocation, MakeVariant
from tests.fixtures.tenants import TenantHandle

LEVELS = "/admin/v1/inventory-levels"
LEDGER = "/admin/v1/inventory-adjustments"


def adjustment(variant_id: uuid.UUID, location: dict[str, Any], delta: int, **extra: Any) -> dict[str, Any]:
    return {"variant_id": str(variant_id), "location_id": location["id"], "delta": delta, "reason": "received", **extra}


async def _ledger(client: httpx.AsyncClient, tenant: TenantHandle, level_id: str) -> list[dict[str, Any]]:
    response = await client.get(LEDGER, params={"level_id": level_id, "limit": 100}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


async def test_an_adjustment_creates_the_level_and_leaves_a_ledger_row_and_one_event(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)

    response = await client.post(
        f"{LEVELS}/adjust", json=adjustment(variant, location, 12, reference="PO-1"), headers=tenant_a.headers
    )

    assert response.status_code == 200, response.text
    level = response.json()
    assert (level["on_hand"], level["committed"], level["reserved"], level["available"]) == (12, 0, 0, 12)
    assert response.headers["etag"] == f'"{level["version"]}"'
    [row] = await _ledger(client, tenant_a, level["id"])
    assert (row["quantity"], row["delta"], row["quantity_after"], row["reason"], row["reference"]) == (
        "on_hand",
        12,
        12,
        "received",
        "PO-1",
    )
    assert row["actor_kind"] == "staff"
    assert await events_of(database, tenant_a, level["id"]) == [("inventory_level.updated", level["version"])]


async def test_fifty_concurrent_adjustments_of_one_level_all_count(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_variant: MakeVariant, make_location: MakeLocation
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    start = await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 100), headers=tenant_a.headers)
    deltas = [(-1 if i % 3 == 0 else i % 7 + 1) for i in range(50)]

    responses = await asyncio.gather(
        *(
            client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, d), headers=tenant_a.headers)
            for d in deltas
        )
    )

    assert [r.status_code for r in responses] == [200] * 50
    level = (await client.get(f"{LEVELS}/{start.json()['id']}", headers=tenant_a.headers)).json()
    assert level["on_hand"] == 100 + sum(deltas)
    assert level["version"] == start.json()["version"] + 50
    ledger = await _ledger(client, tenant_a, level["id"])
    assert len(ledger) == 51
    # The rows form one serial chain 0 -> ... -> on_hand: every row starts where another ended.
    befores = sorted(row["quantity_after"] - row["delta"] for row in ledger)
    afters = sorted(row["quantity_after"] for row in ledger)
    assert sorted([*afters, 0]) == sorted([*befores, level["on_hand"]])


async def test_on_hand_never_goes_negative_even_when_adjustments_race(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    level = (
        await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 5), headers=tenant_a.headers)
    ).json()

    too_many = await client.post(
        f"{LEVELS}/adjust", json=adjustment(variant, location, -6, reason="damaged"), headers=tenant_a.headers
    )
    racing = await asyncio.gather(
        *(
            client.post(
                f"{LEVELS}/adjust", json=adjustment(variant, location, -2, reason="damaged"), headers=tenant_a.headers
            )
            for _ in range(5)
        )
    )

    assert too_many.status_code == 409
    assert too_many.json()["code"] == "on_hand_would_be_negative"
    assert too_many.json()["current_on_hand"] == 5
    assert sorted(r.status_code for r in racing) == [200, 200, 409, 409, 409]
    after = (await client.get(f"{LEVELS}/{level['id']}", headers=tenant_a.headers)).json()
    assert after["on_hand"] == 1
    assert len(await _ledger(client, tenant_a, level["id"])) == 3  # the refusals left no row
    assert len(await events_of(database, tenant_a, level["id"])) == 3  # and no event


async def test_a_stale_compare_and_set_gets_409_and_changes_nothing(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    read = (
        await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 10), headers=tenant_a.headers)
    ).json()
    await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 3), headers=tenant_a.headers)
    count = {"variant_id": str(variant), "location_id": location["id"], "on_hand": 7}

    stale = await client.post(f"{LEVELS}/set", json={**count, "expected_on_hand": 10}, headers=tenant_a.headers)
    stale_version = await client.post(
        f"{LEVELS}/set", json=count, headers={**tenant_a.headers, "if-match": f'"{read["version"]}"'}
    )
    after_refusals = (await client.get(f"{LEVELS}/{read['id']}", headers=tenant_a.headers)).json()
    events_after_refusals = await events_of(database, tenant_a, read["id"])
    fresh = await client.post(f"{LEVELS}/set", json={**count, "expected_on_hand": 13}, headers=tenant_a.headers)

    assert stale.status_code == 409
    assert stale.json()["code"] == "inventory_level_changed"
    assert stale.json()["current_on_hand"] == 13
    assert stale_version.status_code == 412
    assert stale_version.json()["code"] == "version_mismatch"
    assert after_refusals["on_hand"] == 13
    assert after_refusals["version"] == read["version"] + 1
    assert len(events_after_refusals) == 2
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["on_hand"] == 7
    newest = (await _ledger(client, tenant_a, read["id"]))[0]
    assert (newest["delta"], newest["quantity_after"], newest["reason"]) == (-6, 7, "cycle_count")


async def test_levels_are_listed_by_variant_location_and_low_stock(
    client: httpx.AsyncClient, make_tenant: Any, make_variant: MakeVariant, make_location: MakeLocation
) -> None:
    tenant = await make_tenant()
    shirts, socks = await make_variant(tenant), await make_variant(tenant)
    paris, lyon = await make_location(tenant), await make_location(tenant)
    for variant, location, quantity in ((shirts, paris, 2), (shirts, lyon, 50), (socks, paris, 8)):
        response = await client.post(
            f"{LEVELS}/adjust", json=adjustment(variant, location, quantity), headers=tenant.headers
        )
        assert response.status_code == 200

    async def quantities(**params: Any) -> list[int]:
        response = await client.get(LEVELS, params=params, headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [level["on_hand"] for level in response.json()["data"]]

    assert await quantities(variant_id=str(shirts)) == [2, 50]
    assert await quantities(location_id=paris["id"]) == [2, 8]
    assert await quantities(available_lt=10) == [2, 8]
    assert await quantities(available_lt=5, location_id=paris["id"]) == [2]


async def test_locations_have_unique_names_and_a_deactivated_one_moves_no_stock(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_variant: MakeVariant, make_location: MakeLocation
) -> None:
    location = await make_location(tenant_a)
    variant = await make_variant(tenant_a)

    duplicate = await client.post("/admin/v1/locations", json={"name": location["name"]}, headers=tenant_a.headers)
    deactivated = await client.patch(
        f"/admin/v1/locations/{location['id']}",
        json={"is_active": False},
        headers={**tenant_a.headers, "if-match": '"1"'},
    )
    refused = await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 1), headers=tenant_a.headers)
    zero = await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 0), headers=tenant_a.headers)
    system_reason = await client.post(
        f"{LEVELS}/adjust",
        json=adjustment(variant, location, 1, reason="reservation_created"),
        headers=tenant_a.headers,
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "location_name_taken"
    assert deactivated.status_code == 200
    assert deactivated.json()["version"] == 2
    assert refused.status_code == 409
    assert refused.json()["code"] == "location_inactive"
    assert zero.status_code == 422
    assert system_reason.status_code == 422


async def test_another_tenant_never_reads_or_writes_stock(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await make_variant(tenant_a), await make_location(tenant_a)
    level = (
        await client.post(f"{LEVELS}/adjust", json=adjustment(variant, location, 4), headers=tenant_a.headers)
    ).json()
    own_location = await make_location(tenant_b)
    b = tenant_b.headers

    by_id = {
        "level": await client.get(f"{LEVELS}/{level['id']}", headers=b),
        "location": await client.get(f"/admin/v1/locations/{location['id']}", headers=b),
        "rename": await client.patch(f"/admin/v1/locations/{location['id']}", json={"name": "Mine"}, headers=b),
    }
    lists = {
        "levels by variant": await client.get(LEVELS, params={"variant_id": str(variant)}, headers=b),
        "levels by location": await client.get(LEVELS, params={"location_id": location["id"]}, headers=b),
        "ledger by level": await client.get(LEDGER, params={"level_id": level["id"]}, headers=b),
        "ledger by variant": await client.get(LEDGER, params={"variant_id": str(variant)}, headers=b),
        "locations": await client.get("/admin/v1/locations", headers=b),
    }
    writes = {
        "adjust": await client.post(f"{LEVELS}/adjust", json=adjustment(variant, own_location, 1), headers=b),
        "adjust at A's location": await client.post(
            f"{LEVELS}/adjust", json={**adjustment(variant, location, 1)}, headers=b
        ),
        "set": await client.post(
            f"{LEVELS}/set", json={"variant_id": str(variant), "location_id": location["id"], "on_hand": 0}, headers=b
        ),
    }

    assert {name: r.status_code for name, r in by_id.items()} == dict.fromkeys(by_id, 404)
    assert {name: r.json()["data"] for name, r in lists.items() if name != "locations"} == {
        key: [] for key in [n for n in lists if n != "locations"]
    }
    assert [loc["id"] for loc in lists["locations"].json()["data"]] == [own_location["id"]]
    assert {name: r.status_code for name, r in writes.items()} == dict.fromkeys(writes, 422)
    assert all(r.json()["code"] == "unknown_variant" for r in writes.values())
    after = (await client.get(f"{LEVELS}/{level['id']}", headers=tenant_a.headers)).json()
    assert after == level
