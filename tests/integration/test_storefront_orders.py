"""Shoppers' orders: a signed-in shopper's history and detail (never another shopper's or another tenant's), the
guest's signed link from the confirmation mail (sent by the real worker through real SMTP), and the shipping
confirmation and refund notice mails, each leaving a ``mail_sent`` entry on the order's timeline."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

import httpx
from celery import Celery
from fastapi import FastAPI

from commerce.orders.storefront import sign_order_link
from core.settings import Settings
from tests.fixtures.billing import BillingTenant
from tests.fixtures.catalog import MakePublishableKey
from tests.fixtures.inventory import MakeLocation, MakeVariant
from tests.fixtures.oauth import Browser, RegisterClient, shopper_token, storefront_http
from tests.fixtures.orders import LineSpec, MakePaidOrder, PaidOrder
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.tenants import MakeTenant, TenantHandle
from tests.fixtures.workers import TIMEOUT

OpenBrowser = Callable[[TenantHandle], Browser]
SCOPE = "customer:profile customer:orders storefront:catalog"
LINK = re.compile(r"/orders/([0-9a-f-]{36})\?token=(\S+)")


async def mails_to(smtp_server: SmtpSink, address: str) -> list[EmailMessage]:
    return await asyncio.to_thread(smtp_server.messages_to, address, timeout=TIMEOUT)


def text_of(message: EmailMessage) -> str:
    parts = [part for part in message.iter_parts() if isinstance(part, EmailMessage)]
    return str(parts[0].get_content())


async def wait_for_mail_entries(client: httpx.AsyncClient, order: PaidOrder, count: int) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        timeline = (await client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)).json()["timeline"]
        sent = [entry for entry in timeline if entry["kind"] == "mail_sent"]
        if len(sent) >= count or asyncio.get_running_loop().time() > deadline:
            return sent
        await asyncio.sleep(0.05)


async def test_a_shopper_reads_their_own_orders_only(
    app: FastAPI,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    tenant = chargeable_tenant.handle
    mine = await shopper_token(app, tenant, register_client, browser_for(tenant), SCOPE)
    theirs = await shopper_token(app, tenant, register_client, browser_for(tenant), SCOPE)
    async with storefront_http(app, tenant, mine) as http:
        me = (await http.get("/storefront/v1/customer")).json()
    async with storefront_http(app, tenant, theirs) as http:
        them = (await http.get("/storefront/v1/customer")).json()
    first = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)], customer_id=uuid.UUID(me["id"]))
    second = await make_paid_order(chargeable_tenant, [LineSpec(None, 2, 500)], customer_id=uuid.UUID(me["id"]))
    other = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 700)], customer_id=uuid.UUID(them["id"]))

    async with storefront_http(app, tenant, mine) as http:
        listed = await http.get("/storefront/v1/customer/orders")
        page = await http.get("/storefront/v1/customer/orders?limit=1")
        rest = await http.get(f"/storefront/v1/customer/orders?limit=1&starting_after={second.id}")
        own = await http.get(f"/storefront/v1/customer/orders/{first.id}")
        foreign = await http.get(f"/storefront/v1/customer/orders/{other.id}")
        foreign_cursor = await http.get(f"/storefront/v1/customer/orders?starting_after={other.id}")

    assert listed.status_code == 200, listed.text
    assert [row["id"] for row in listed.json()["data"]] == [str(second.id), str(first.id)]
    assert page.json()["has_more"] is True
    assert [row["id"] for row in rest.json()["data"]] == [str(first.id)]
    assert own.json()["total"] == 1_000
    assert own.json()["lines"][0]["quantity"] == 1
    assert "payments" not in own.json()
    assert "timeline" not in own.json()
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "order_not_found"
    assert foreign_cursor.status_code == 422


async def test_a_token_without_customer_orders_is_refused(
    app: FastAPI,
    chargeable_tenant: BillingTenant,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    tenant = chargeable_tenant.handle
    token = await shopper_token(app, tenant, register_client, browser_for(tenant), "customer:profile")
    async with storefront_http(app, tenant, token) as http:
        response = await http.get("/storefront/v1/customer/orders")
    assert response.status_code == 403


async def test_a_shopper_of_another_tenant_never_reads_the_order(
    app: FastAPI,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_tenant: MakeTenant,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    tenant = chargeable_tenant.handle
    owner = await shopper_token(app, tenant, register_client, browser_for(tenant), SCOPE)
    async with storefront_http(app, tenant, owner) as http:
        me = (await http.get("/storefront/v1/customer")).json()
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)], customer_id=uuid.UUID(me["id"]))
    other_tenant = await make_tenant()
    stranger = await shopper_token(app, other_tenant, register_client, browser_for(other_tenant), SCOPE)

    async with storefront_http(app, other_tenant, stranger) as http:
        read = await http.get(f"/storefront/v1/customer/orders/{order.id}")
        listed = await http.get("/storefront/v1/customer/orders")
    async with storefront_http(app, other_tenant, owner) as http:  # tenant A's token on tenant B's host
        carried = await http.get(f"/storefront/v1/customer/orders/{order.id}")

    assert read.status_code == 404
    assert listed.json()["data"] == []
    assert carried.status_code == 401


async def test_the_confirmation_mail_links_a_guest_to_their_order_and_nothing_else(
    orders_client: httpx.AsyncClient,
    celery_worker: Celery,
    smtp_server: SmtpSink,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_publishable_key: MakePublishableKey,
    make_tenant: MakeTenant,
    billing_settings: Settings,
) -> None:
    tenant = chargeable_tenant.handle
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 2, 1_250)], shipping_total=490)
    other = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 100)])

    [message] = await mails_to(smtp_server, order.email)
    body = text_of(message)
    assert message["Subject"] == f"Order #{order.number} confirmed at {tenant.name}"
    assert message["From"].addresses[0].display_name == f"{tenant.name} via {billing_settings.mail.from_name}"
    assert "Total: 29.90 EUR" in body
    match = LINK.search(body)
    assert match is not None, body
    assert match.group(1) == str(order.id)
    token = unquote(match.group(2))
    sent = await wait_for_mail_entries(orders_client, order, 1)
    assert sent[0]["data"]["mail"] == "order_confirmation"

    key = await make_publishable_key(tenant)
    read = await orders_client.get(f"/storefront/v1/orders/{order.id}", params={"token": token}, headers=key.headers)
    assert read.status_code == 200, read.text
    assert (read.json()["number"], read.json()["total"]) == (order.number, 2_990)

    wrong_order = await orders_client.get(
        f"/storefront/v1/orders/{other.id}", params={"token": token}, headers=key.headers
    )
    tampered = await orders_client.get(
        f"/storefront/v1/orders/{order.id}", params={"token": token[:-2] + "xx"}, headers=key.headers
    )
    secret = billing_settings.auth.secret_key.get_secret_value()
    expired = sign_order_link(secret, uuid.UUID(tenant.id), order.id, ttl_seconds=-10)
    too_late = await orders_client.get(
        f"/storefront/v1/orders/{order.id}", params={"token": expired}, headers=key.headers
    )
    elsewhere = await make_tenant()
    other_key = await make_publishable_key(elsewhere)
    other_tenant = await orders_client.get(
        f"/storefront/v1/orders/{order.id}", params={"token": token}, headers=other_key.headers
    )
    assert [r.status_code for r in (wrong_order, tampered, too_late, other_tenant)] == [403, 403, 403, 403]
    assert {r.json()["code"] for r in (wrong_order, tampered, too_late, other_tenant)} == {"invalid_order_link"}


async def test_shipping_confirmation_and_refund_notice_are_mailed(
    orders_client: httpx.AsyncClient,
    celery_worker: Celery,
    smtp_server: SmtpSink,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    tenant = chargeable_tenant.handle
    variant = await make_variant(tenant)
    location = await make_location(tenant)
    adjusted = await orders_client.post(
        "/admin/v1/inventory-levels/adjust",
        json={"variant_id": str(variant), "location_id": location["id"], "delta": 5, "reason": "received"},
        headers=tenant.headers,
    )
    assert adjusted.status_code == 200
    order = await make_paid_order(chargeable_tenant, [LineSpec(variant, 2, 1_000)])
    await wait_for_mail_entries(orders_client, order, 1)  # the confirmation first

    fulfilled = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments",
        json={
            "location_id": location["id"],
            "carrier": "La Poste",
            "tracking_number": "LP123456789FR",
            "tracking_url": "https://track.example.com/LP123456789FR",
        },
        headers=order.headers,
    )
    assert fulfilled.status_code == 201, fulfilled.text
    await wait_for_mail_entries(orders_client, order, 2)
    refunded = await orders_client.post(
        f"/admin/v1/orders/{order.id}/refunds",
        json={"amount": 750},
        headers={**order.headers, "idempotency-key": str(uuid.uuid4())},
    )
    assert refunded.status_code == 201, refunded.text
    sent = await wait_for_mail_entries(orders_client, order, 3)

    messages = await asyncio.to_thread(smtp_server.messages_to, order.email, timeout=TIMEOUT)
    by_subject = {str(m["Subject"]): text_of(m) for m in messages}
    shipped = by_subject[f"Order #{order.number} from {tenant.name} has shipped"]
    assert "LP123456789FR" in shipped
    assert "https://track.example.com/LP123456789FR" in shipped
    assert "La Poste" in shipped
    notice = by_subject[f"Refund for order #{order.number} at {tenant.name}"]
    assert "refunded 7.50 EUR" in notice
    assert [entry["data"]["mail"] for entry in sent] == [
        "order_confirmation",
        "shipping_confirmation",
        "refund_notice",
    ]
