"""The merchant's orders: list with filters and search, detail, notes, archive, If-Match; fulfil with stock,
delivery; cancel with stock released and payment refunded or voided; another tenant's order is 404."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from commerce.events.models import Event
from commerce.inventory.models import InventoryAdjustment
from core.db import Database
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.billing import BillingTenant
from tests.fixtures.customers import MakeCustomer
from tests.fixtures.inventory import MakeLocation, MakeVariant
from tests.fixtures.orders import LineSpec, MakePaidOrder, PaidOrder, stock_of
from tests.fixtures.tenants import MakeTenant


async def stocked(
    client: httpx.AsyncClient, tenant: BillingTenant, make_variant: MakeVariant, make_location: MakeLocation, units: int
) -> tuple[uuid.UUID, dict[str, Any]]:
    variant = await make_variant(tenant.handle)
    location = await make_location(tenant.handle)
    body = {"variant_id": str(variant), "location_id": location["id"], "delta": units, "reason": "received"}
    adjusted = await client.post("/admin/v1/inventory-levels/adjust", json=body, headers=tenant.handle.headers)
    assert adjusted.status_code == 200, adjusted.text
    return variant, location


async def detail(client: httpx.AsyncClient, order: PaidOrder) -> dict[str, Any]:
    response = await client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    body: dict[str, Any] = response.json()
    return body


async def event_types(database: Database, order: PaidOrder) -> list[str]:
    async with database.scoped_session(order.tenant.handle.schema_name) as db:
        return list(await db.scalars(select(Event.type).where(Event.resource_id == order.id).order_by(Event.sequence)))


async def test_fulfilment_ships_committed_stock_and_derives_the_status(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
    database: Database,
) -> None:
    variant, location = await stocked(orders_client, chargeable_tenant, make_variant, make_location, 10)
    order = await make_paid_order(chargeable_tenant, [LineSpec(variant, 3, 1_000)], commit_at=uuid.UUID(location["id"]))
    tenant = chargeable_tenant.handle
    assert (await stock_of(orders_client, tenant, variant))["committed"] == 3
    version = (await detail(orders_client, order))["version"]

    stale = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments",
        json={"location_id": location["id"]},
        headers={**order.headers, "if-match": f'"{version - 1}"'},
    )
    assert stale.status_code == 412
    too_many = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments",
        json={"location_id": location["id"], "lines": [{"order_line_id": str(order.line_ids[0]), "quantity": 4}]},
        headers=order.headers,
    )
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "fulfillment_exceeds_order"

    first = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments",
        json={
            "location_id": location["id"],
            "lines": [{"order_line_id": str(order.line_ids[0]), "quantity": 1}],
            "carrier": "DHL",
            "tracking_number": "JD0001",
            "tracking_url": "https://track.example.com/JD0001",
        },
        headers={**order.headers, "if-match": f'"{version}"'},
    )
    assert first.status_code == 201, first.text
    assert first.headers["etag"] == f'"{version + 1}"'
    level = await stock_of(orders_client, tenant, variant)
    assert (level["on_hand"], level["committed"], level["available"]) == (9, 2, 7)
    assert (await detail(orders_client, order))["fulfillment_status"] == "partially_fulfilled"

    rest = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location["id"]}, headers=order.headers
    )
    assert rest.status_code == 201, rest.text
    assert rest.json()["lines"] == [{"order_line_id": str(order.line_ids[0]), "quantity": 2}]
    level = await stock_of(orders_client, tenant, variant)
    assert (level["on_hand"], level["committed"], level["available"]) == (7, 0, 7)
    shown = await detail(orders_client, order)
    assert (shown["fulfillment_status"], shown["status"]) == ("fulfilled", "completed")
    assert shown["lines"][0]["fulfilled_quantity"] == 3
    nothing_left = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location["id"]}, headers=order.headers
    )
    assert nothing_left.json()["code"] == "nothing_to_fulfil"

    for fulfillment in (first.json(), rest.json()):
        delivered = await orders_client.post(
            f"/admin/v1/orders/{order.id}/fulfillments/{fulfillment['id']}/deliver", headers=order.headers
        )
        assert delivered.status_code == 200, delivered.text
    assert delivered.json()["fulfillment_status"] == "delivered"
    # Cancel is refused once something shipped.
    cancel = await orders_client.post(f"/admin/v1/orders/{order.id}/cancel", json={}, headers=order.headers)
    assert cancel.status_code == 409
    assert cancel.json()["code"] == "order_not_cancelable"
    async with database.scoped_session(tenant.schema_name) as db:
        rows = list(
            await db.scalars(
                select(InventoryAdjustment.reason).where(InventoryAdjustment.reference == f"order:{order.id}")
            )
        )
    assert sorted(rows) == ["fulfilled"] * 4 + ["order_placed"]
    types = await event_types(database, order)
    assert types.count("order.fulfilled") == 2
    assert "order.delivered" in types


async def test_fulfilling_more_than_is_on_hand_is_refused_and_changes_nothing(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await stocked(orders_client, chargeable_tenant, make_variant, make_location, 1)
    order = await make_paid_order(chargeable_tenant, [LineSpec(variant, 2, 1_000)])
    response = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location["id"]}, headers=order.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "on_hand_would_be_negative"
    assert (await detail(orders_client, order))["lines"][0]["fulfilled_quantity"] == 0
    assert (await stock_of(orders_client, chargeable_tenant.handle, variant))["on_hand"] == 1


async def test_cancel_releases_stock_and_refunds_what_was_paid(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    variant, location = await stocked(orders_client, chargeable_tenant, make_variant, make_location, 5)
    order = await make_paid_order(
        chargeable_tenant, [LineSpec(variant, 2, 1_500)], shipping_total=500, commit_at=uuid.UUID(location["id"])
    )
    assert (await stock_of(orders_client, chargeable_tenant.handle, variant))["available"] == 3

    response = await orders_client.post(
        f"/admin/v1/orders/{order.id}/cancel", json={"reason": "customer"}, headers=order.headers
    )

    assert response.status_code == 200, response.text
    canceled = response.json()
    assert (canceled["status"], canceled["payment_status"]) == ("canceled", "refunded")
    assert [(r["amount"], r["status"]) for r in canceled["refunds"]] == [(3_500, "succeeded")]
    level = await stock_of(orders_client, chargeable_tenant.handle, variant)
    assert (level["on_hand"], level["committed"], level["available"]) == (5, 0, 5)
    charge = stripe_fake.charge(stripe_fake.payment_intent(order.intent_id)["latest_charge"])
    assert charge["amount_refunded"] == 3_500
    again = await orders_client.post(f"/admin/v1/orders/{order.id}/cancel", json={}, headers=order.headers)
    assert again.status_code == 409
    fulfil = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location["id"]}, headers=order.headers
    )
    assert fulfil.json()["code"] == "order_canceled"
    assert "order.canceled" in await event_types(database, order)


async def test_cancel_voids_a_payment_not_yet_made(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)], pay=False)
    response = await orders_client.post(f"/admin/v1/orders/{order.id}/cancel", json={}, headers=order.headers)
    assert response.status_code == 200, response.text
    assert response.json()["payment_status"] == "voided"
    assert stripe_fake.payment_intent(order.intent_id)["status"] == "canceled"


async def test_list_filters_search_and_pages(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_customer: MakeCustomer,
) -> None:
    tenant = chargeable_tenant.handle
    customer = await make_customer(tenant, first_name="Grace", last_name=f"Hopper{uuid.uuid4().hex[:6]}")
    mine = await make_paid_order(
        chargeable_tenant, [LineSpec(None, 1, 1_000)], customer_id=uuid.UUID(customer["id"]), email=customer["email"]
    )
    others = [await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)]) for _ in range(3)]
    unpaid = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)], pay=False)

    async def ids(query: str) -> list[str]:
        response = await orders_client.get(f"/admin/v1/orders?{query}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["data"]]

    assert await ids(f"customer_id={customer['id']}") == [str(mine.id)]
    assert await ids(f"email={customer['email'].upper()}") == [str(mine.id)]
    assert await ids(f"q=%23{mine.number}") == [str(mine.id)]
    assert await ids(f"number={others[0].number}") == [str(others[0].id)]
    assert await ids(f"q={customer['last_name'][2:]}") == [str(mine.id)]
    assert await ids(f"q={mine.email[:12]}") == [str(mine.id)]
    assert await ids("payment_status=pending") == [str(unpaid.id)]
    # Newest first, in pages of two.
    page = await orders_client.get("/admin/v1/orders?limit=2", headers=tenant.headers)
    first_page = page.json()
    assert first_page["has_more"] is True
    assert [row["id"] for row in first_page["data"]] == [str(unpaid.id), str(others[2].id)]
    after = await ids(f"limit=2&starting_after={first_page['data'][-1]['id']}")
    assert after == [str(others[1].id), str(others[0].id)]

    archived = await orders_client.post(f"/admin/v1/orders/{mine.id}/archive", headers=tenant.headers)
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert str(mine.id) not in await ids("limit=100")
    assert await ids("archived=true") == [str(mine.id)]
    unarchived = await orders_client.post(f"/admin/v1/orders/{mine.id}/unarchive", headers=tenant.headers)
    assert unarchived.json()["archived"] is False


async def test_detail_notes_and_concurrent_edits(
    orders_client: httpx.AsyncClient, chargeable_tenant: BillingTenant, make_paid_order: MakePaidOrder
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 2, 1_250)], shipping_total=300)
    shown = await detail(orders_client, order)
    assert (shown["subtotal"], shown["shipping_total"], shown["total"]) == (2_500, 300, 2_800)
    assert shown["payments"][0]["amount_received"] == 2_800
    assert shown["lines"][0]["quantity"] == 2
    # (the confirmation mail's mail_sent entry comes when the worker sent it)
    assert [entry["kind"] for entry in shown["timeline"] if entry["kind"] != "mail_sent"] == ["placed"]

    # Two staff members note the order with the version they read: one wins, the other is told it changed.
    notes = await asyncio.gather(
        *(
            orders_client.post(
                f"/admin/v1/orders/{order.id}/notes",
                json={"note": f"note {n}"},
                headers={**order.headers, "if-match": f'"{shown["version"]}"'},
            )
            for n in range(2)
        )
    )
    assert sorted(r.status_code for r in notes) == [201, 412]
    timeline = (await detail(orders_client, order))["timeline"]
    assert [entry["kind"] for entry in timeline if entry["kind"] != "mail_sent"] == ["placed", "note_added"]


async def test_another_tenants_order_is_not_found(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_tenant: MakeTenant,
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)])
    other = await make_tenant()
    for method, path in (
        ("GET", f"/admin/v1/orders/{order.id}"),
        ("POST", f"/admin/v1/orders/{order.id}/archive"),
        ("POST", f"/admin/v1/orders/{order.id}/cancel"),
    ):
        response = await orders_client.request(method, path, headers=other.headers, json={})
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == "order_not_found"
    listed = await orders_client.get("/admin/v1/orders?limit=100", headers=other.headers)
    assert listed.json()["data"] == []


async def test_concurrent_fulfilments_ship_each_unit_once(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    variant, location = await stocked(orders_client, chargeable_tenant, make_variant, make_location, 10)
    order = await make_paid_order(chargeable_tenant, [LineSpec(variant, 4, 1_000)], commit_at=uuid.UUID(location["id"]))
    responses = await asyncio.gather(
        *(
            orders_client.post(
                f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location["id"]}, headers=order.headers
            )
            for _ in range(5)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    level = await stock_of(orders_client, chargeable_tenant.handle, variant)
    assert (level["on_hand"], level["committed"], level["available"]) == (6, 0, 6)
    assert (await detail(orders_client, order))["lines"][0]["fulfilled_quantity"] == 4
