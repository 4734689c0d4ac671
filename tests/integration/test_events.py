"""The event log: one event per committed change, in the change's transaction, numbered in commit order."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from commerce.catalog import service as catalog_service
from commerce.catalog.models import Product
from commerce.catalog.schemas import ProductCreate
from commerce.events import service as events_service
from commerce.events.models import Event
from commerce.events.schemas import NewEvent
from core.db import Database
from tests.fixtures.catalog import MakeProduct, product_body
from tests.fixtures.tenants import TenantHandle


async def _count(database: Database, tenant: TenantHandle, resource_id: uuid.UUID) -> int:
    async with database.scoped_session(tenant.schema_name) as db:
        return await db.scalar(select(func.count()).select_from(Event).where(Event.resource_id == resource_id)) or 0


async def test_a_rolled_back_transaction_leaves_no_event(database: Database, tenant_a: TenantHandle) -> None:
    resource_id = uuid.uuid4()
    async with database.scoped_session(tenant_a.schema_name) as db:
        await events_service.record(db, type="product.created", resource_id=resource_id, version=1, data={"a": 1})
        await db.rollback()
    async with database.scoped_session(tenant_a.schema_name) as db:
        sequence = await events_service.record(db, type="product.created", resource_id=resource_id, version=1, data={})
        await db.commit()
    assert await _count(database, tenant_a, resource_id) == 1
    assert sequence == 1, "the rolled-back event consumed no sequence number"


async def test_sequences_are_consecutive_in_commit_order_under_concurrency(
    database: Database, tenant_a: TenantHandle
) -> None:
    resource_id = uuid.uuid4()

    async def write(index: int) -> None:
        async with database.scoped_session(tenant_a.schema_name) as db:
            await events_service.record(
                db, type="product.updated", resource_id=resource_id, version=index, data={"i": index}
            )
            await db.commit()

    await asyncio.gather(*(write(index) for index in range(8)))
    async with database.scoped_session(tenant_a.schema_name) as db:
        await events_service.record_many(
            db, [NewEvent("variant.created", resource_id, 1, {}), NewEvent("variant.updated", resource_id, 2, {})]
        )
        await db.commit()
        sequences = list(await db.scalars(select(Event.sequence).order_by(Event.sequence)))
    assert sequences == list(range(1, 11))


async def _events(client: httpx.AsyncClient, tenant: TenantHandle, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/admin/v1/events", params={"limit": 100, **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_every_committed_change_has_exactly_one_event_and_a_failed_one_none(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    product = await make_product(tenant_a)
    url = f"/admin/v1/products/{product['id']}"
    variant_url = f"{url}/variants/{product['variants'][0]['id']}"
    assert (await client.patch(url, json={"title": "Renamed"}, headers=tenant_a.headers)).status_code == 200
    assert (
        await client.patch(variant_url, json={"barcode": "4006381333931"}, headers=tenant_a.headers)
    ).status_code == 200
    # Refused changes: a stale If-Match, a taken SKU. Each rolled back, with its event if one was written.
    stale = await client.patch(url, json={"title": "Lost"}, headers={**tenant_a.headers, "if-match": '"1"'})
    assert stale.status_code == 412
    taken = await client.patch(variant_url, json={"sku": product["variants"][1]["sku"]}, headers=tenant_a.headers)
    assert taken.status_code == 409
    collection = await client.post("/admin/v1/collections", json={"title": "Sale"}, headers=tenant_a.headers)
    added = await client.post(
        f"/admin/v1/collections/{collection.json()['id']}/products",
        json={"product_ids": [product["id"]]},
        headers=tenant_a.headers,
    )
    assert added.status_code == 200
    assert (await client.delete(url, headers=tenant_a.headers)).status_code == 204

    events = await _events(client, tenant_a)
    assert [(event["type"], event["resource_version"]) for event in reversed(events)] == [
        ("product.created", 1),
        ("product.updated", 2),
        ("variant.updated", 2),
        ("collection.created", 1),
        ("collection.updated", 2),
        ("product.deleted", 2),
    ]
    sequences = [event["sequence"] for event in reversed(events)]
    assert sequences == list(range(sequences[0], sequences[0] + 6))
    assert events[1]["data"]["product_ids"] == [product["id"]]
    assert events[0]["data"]["title"] == "Renamed"  # the last snapshot of the deleted product
    assert events[-1]["actor"]["kind"] == "staff"


async def test_events_filter_by_type_and_resource_and_paginate(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    first = await make_product(tenant_a)
    second = await make_product(tenant_a)
    await client.patch(f"/admin/v1/products/{first['id']}", json={"title": "x"}, headers=tenant_a.headers)

    assert [e["type"] for e in await _events(client, tenant_a, type="product.updated")] == ["product.updated"]
    assert len(await _events(client, tenant_a, type="product.*")) == 3
    assert len(await _events(client, tenant_a, type=["variant.*", "product.created"])) == 2
    assert [e["resource_id"] for e in await _events(client, tenant_a, resource_id=second["id"])] == [second["id"]]
    page = (await client.get("/admin/v1/events", params={"limit": 2}, headers=tenant_a.headers)).json()
    rest = await _events(client, tenant_a, starting_after=page["data"][-1]["id"])
    assert page["has_more"] is True
    assert [e["sequence"] for e in page["data"] + rest] == [3, 2, 1]
    one = await client.get(f"/admin/v1/events/{rest[0]['id']}", headers=tenant_a.headers)
    assert one.json() == rest[0]
    bad = await client.get("/admin/v1/events", params={"type": "product"}, headers=tenant_a.headers)
    assert bad.status_code == 422


async def test_another_tenants_events_are_invisible(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_product: MakeProduct
) -> None:
    await make_product(tenant_b)
    [event] = await _events(client, tenant_b)
    assert await _events(client, tenant_a) == []
    missing = await client.get(f"/admin/v1/events/{event['id']}", headers=tenant_a.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "event_not_found")


async def test_a_catalog_change_rolled_back_leaves_neither_the_change_nor_its_event(
    database: Database, tenant_a: TenantHandle
) -> None:
    body = ProductCreate.model_validate(product_body(handle="rolled-back"))
    async with database.scoped_session(tenant_a.schema_name) as db:
        created = await catalog_service.create_product(db, body, actor=None)
        await db.rollback()  # as the unit of work does when anything after the service fails
    async with database.scoped_session(tenant_a.schema_name) as db:
        assert await db.get(Product, created.id) is None
        assert await db.scalar(select(func.count()).select_from(Event)) == 0
