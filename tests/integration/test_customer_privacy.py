"""GDPR: a customer's data export (built by the real worker) and their erasure, proved against the whole schema."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from celery import Celery
from fastapi import FastAPI

from core.db import Database
from tests.fixtures.customers import address_body, customer_body, events_of, schema_places_holding
from tests.fixtures.oauth import (
    Browser,
    RegisterClient,
    authorize_query,
    pkce,
    shopper_grant,
    storefront_http,
    token_request,
)
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT

OpenBrowser = Callable[[TenantHandle], Browser]
SCOPE = "customer:profile storefront:catalog"
BASE = "/admin/v1/customers"


async def _shopper_with_a_full_record(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantHandle, register_client: RegisterClient, browser: Browser
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A shopper signed in at a storefront, with every personal field filled by them and by the merchant.

    Returns (their token response, the customer as the admin API shows it, their addresses).
    """
    grant = await shopper_grant(app, tenant, register_client, browser, SCOPE)
    personal = customer_body()
    async with storefront_http(app, tenant, grant["access_token"]) as http:
        profile = await http.patch(
            "/storefront/v1/customer",
            json={
                "name": f"{personal['first_name']} the Countess",
                "first_name": personal["first_name"],
                "last_name": personal["last_name"],
                "phone": personal["phone"],
                "accepts_marketing": True,
            },
        )
        assert profile.status_code == 200, profile.text
        for body in (address_body(), address_body(is_default_billing=True)):
            added = await http.post("/storefront/v1/customer/addresses", json=body)
            assert added.status_code == 201, added.text
        addresses = (await http.get("/storefront/v1/customer/addresses")).json()["data"]
    customer_id = profile.json()["id"]
    merchant = {key: personal[key] for key in ("external_id", "tags", "note")}
    updated = await client.patch(f"{BASE}/{customer_id}", json=merchant, headers=tenant.headers)
    assert updated.status_code == 200, updated.text
    return grant, updated.json(), addresses


async def _finished_export(client: httpx.AsyncClient, tenant: TenantHandle, customer_id: str) -> dict[str, Any]:
    requested = await client.post(f"{BASE}/{customer_id}/data-export", headers=tenant.headers)
    assert requested.status_code == 202, requested.text
    assert requested.json()["status"] == "pending"
    url = f"{BASE}/{customer_id}/data-exports/{requested.json()['id']}"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        export: dict[str, Any] = (await client.get(url, headers=tenant.headers)).json()
        if export["status"] == "succeeded":
            return export
        await asyncio.sleep(0.05)
    raise AssertionError(f"the export job did not finish: {export}")


def _personal_values(customer: dict[str, Any], addresses: list[dict[str, Any]], email: str) -> list[str]:
    values = [email, customer["first_name"], customer["last_name"], customer["name"], customer["phone"]]
    values += [customer["external_id"], customer["note"], *customer["tags"]]
    for address in addresses:
        values += [address[key] for key in ("first_name", "last_name", "company", "line1", "line2", "city")]
        values += [address["region"], address["postal_code"], address["phone"]]
    return [value for value in values if value]


async def test_the_data_export_holds_everything_stored_about_the_customer(
    app: FastAPI,
    client: httpx.AsyncClient,
    celery_worker: Celery,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    browser = browser_for(tenant_a)
    grant, customer, addresses = await _shopper_with_a_full_record(app, client, tenant_a, register_client, browser)

    export = await _finished_export(client, tenant_a, customer["id"])

    document = export["document"]
    current = (await client.get(f"{BASE}/{customer['id']}", headers=tenant_a.headers)).json()
    assert document["profile"] == current
    assert document["addresses"] == addresses
    assert document["consents"]["marketing"]["accepts_marketing"] is True
    assert document["consents"]["marketing"]["updated_at"] is not None
    assert document["consents"]["storefronts"] == ["Storefront public"]
    [session] = document["sessions"]
    assert session["storefront"] == "Storefront public"
    assert sorted(session["scopes"]) == sorted(SCOPE.split())
    assert session["revoked_at"] is None
    assert [event["type"] for event in document["events"]] == ["customer.created"] + ["customer.updated"] * 4
    assert document["events"][-1]["data"]["note"] == customer["note"]
    text = str(document)
    assert grant["access_token"] not in text
    assert grant["refresh_token"] not in text
    for value in _personal_values(customer, addresses, browser.email):
        assert value in text, value


async def test_erasure_leaves_no_personal_value_in_the_schema_and_ends_every_sign_in(
    app: FastAPI,
    client: httpx.AsyncClient,
    celery_worker: Celery,
    database: Database,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    browser = browser_for(tenant_a)
    grant, customer, addresses = await _shopper_with_a_full_record(app, client, tenant_a, register_client, browser)
    await _finished_export(client, tenant_a, customer["id"])  # the export document is personal data too
    values = _personal_values(customer, addresses, browser.email)
    assert all([await schema_places_holding(database, tenant_a.schema_name, v) for v in values])  # the search works
    query = authorize_query(grant["client_id"], pkce()[1], scope=SCOPE)
    assert "wants to access your account" in (await browser.http.get(f"/oauth/authorize?{query}")).text

    erased = await client.post(f"{BASE}/{customer['id']}/erase", headers=tenant_a.headers)

    assert erased.status_code == 200, erased.text
    assert erased.json()["erased_at"] is not None
    assert erased.json()["email"].endswith("@erased.invalid")
    leaks = {value: await schema_places_holding(database, tenant_a.schema_name, value) for value in values}
    assert {value: places for value, places in leaks.items() if places} == {}
    async with storefront_http(app, tenant_a, grant["access_token"]) as http:
        assert (await http.get("/storefront/v1/customer")).status_code == 401
    refreshed = await token_request(
        app,
        tenant_a,
        {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"], "client_id": grant["client_id"]},
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert "wants to access your account" not in (await browser.http.get(f"/oauth/authorize?{query}")).text
    signed_in = await browser.sign_in()
    assert signed_in.status_code != 303  # the old password opens nothing
    changed = await client.patch(f"{BASE}/{customer['id']}", json={"note": "x"}, headers=tenant_a.headers)
    assert changed.status_code == 409
    assert changed.json()["code"] == "customer_erased"
    types = [t for t, _ in await events_of(database, tenant_a, customer["id"])]
    assert types.count("customer.erased") == 1
    assert types[-1] == "customer.erased"


async def test_erasure_is_idempotent(
    client: httpx.AsyncClient, database: Database, tenant_a: TenantHandle, make_customer: Any
) -> None:
    customer = await make_customer(tenant_a)
    first = await client.post(f"{BASE}/{customer['id']}/erase", headers=tenant_a.headers)

    second = await client.post(f"{BASE}/{customer['id']}/erase", headers=tenant_a.headers)

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert await schema_places_holding(database, tenant_a.schema_name, customer["email"]) == []
    # The second erasure recorded nothing; the first rewrote the created event's data to the anonymised record.
    assert await events_of(database, tenant_a, customer["id"]) == [("customer.created", 1), ("customer.erased", 2)]
