"""The merchant's customers on the admin API: records, uniqueness, search, addresses, events, tenant isolation."""

from __future__ import annotations

from typing import Any

import httpx

from core.db import Database
from tests.fixtures.customers import MakeCustomer, address_body, customer_body, events_of, schema_places_holding
from tests.fixtures.tenants import TenantHandle

BASE = "/admin/v1/customers"


async def test_a_customer_is_created_read_and_recorded_once(
    client: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    body = customer_body()
    created = await client.post(BASE, json=body, headers=tenant_a.headers)
    assert created.status_code == 201, created.text
    customer = created.json()

    read = await client.get(f"{BASE}/{customer['id']}", headers=tenant_a.headers)

    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json() == customer
    assert customer["email"] == body["email"].lower()
    assert customer["phone"].startswith("+4420")
    assert " " not in customer["phone"]
    assert customer["has_account"] is False
    assert customer["accepts_marketing"] is True
    assert customer["marketing_consent_updated_at"] is not None
    assert await events_of(database, tenant_a, customer["id"]) == [("customer.created", 1)]


async def test_emails_are_unique_per_tenant_whatever_their_case_and_free_across_tenants(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_customer: MakeCustomer
) -> None:
    first = await make_customer(tenant_a)

    again = await client.post(BASE, json=customer_body(email=first["email"].upper()), headers=tenant_a.headers)
    elsewhere = await client.post(BASE, json=customer_body(email=first["email"]), headers=tenant_b.headers)

    assert again.status_code == 409
    assert again.json()["code"] == "customer_already_exists"
    assert elsewhere.status_code == 201


async def test_external_ids_are_unique_when_set(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_customer: MakeCustomer
) -> None:
    first = await make_customer(tenant_a)
    await make_customer(tenant_a, external_id=None)

    taken = await client.post(BASE, json=customer_body(external_id=first["external_id"]), headers=tenant_a.headers)
    without = await client.post(BASE, json=customer_body(external_id=None), headers=tenant_a.headers)
    other = await make_customer(tenant_a)
    changed = await client.patch(
        f"{BASE}/{other['id']}", json={"external_id": first["external_id"]}, headers=tenant_a.headers
    )

    assert taken.status_code == 409
    assert taken.json()["code"] == "customer_external_id_taken"
    assert without.status_code == 201
    assert changed.status_code == 409
    assert changed.json()["code"] == "customer_external_id_taken"


async def test_update_records_consent_time_checks_if_match_and_logs_one_event(
    client: httpx.AsyncClient, database: Database, tenant_a: TenantHandle, make_customer: MakeCustomer
) -> None:
    customer = await make_customer(tenant_a, accepts_marketing=False)
    assert customer["marketing_consent_updated_at"] is None
    url = f"{BASE}/{customer['id']}"

    updated = await client.patch(
        url, json={"accepts_marketing": True, "phone": None}, headers={**tenant_a.headers, "if-match": '"1"'}
    )
    stale = await client.patch(url, json={"note": "late"}, headers={**tenant_a.headers, "if-match": '"1"'})
    nulled = await client.patch(url, json={"email": None}, headers=tenant_a.headers)

    assert updated.status_code == 200, updated.text
    assert updated.json()["marketing_consent_updated_at"] is not None
    assert updated.json()["phone"] is None
    assert updated.json()["version"] == 2
    assert updated.headers["etag"] == '"2"'
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert nulled.status_code == 422
    assert (await client.get(url, headers=tenant_a.headers)).json()["note"] == customer["note"]
    assert await events_of(database, tenant_a, customer["id"]) == [("customer.created", 1), ("customer.updated", 2)]


async def test_bad_input_is_a_422_naming_the_field(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    for field, value in (
        ("phone", "call me"),
        ("email", "not-an-email"),
        ("note", "nul \x00 byte"),
        ("first_name", "line\nbreak"),
        ("tags", ["a,b"]),
    ):
        response = await client.post(BASE, json=customer_body(**{field: value}), headers=tenant_a.headers)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["code"] == "invalid_input"
        assert field in str(response.json()["errors"][0]["loc"]), (field, response.text)


async def test_search_finds_customers_by_email_prefix_name_and_external_id(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_customer: MakeCustomer
) -> None:
    target = await make_customer(tenant_a)
    await make_customer(tenant_a)

    async def ids(**params: str) -> list[str]:
        response = await client.get(BASE, params=params, headers=tenant_a.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]]

    assert await ids(q=target["email"][:12].upper()) == [target["id"]]
    assert await ids(q=target["last_name"][-6:].lower()) == [target["id"]]
    assert await ids(q=f"{target['first_name']} {target['last_name']}") == [target["id"]]
    assert await ids(q=target["external_id"]) == [target["id"]]
    assert await ids(email=target["email"].upper()) == [target["id"]]
    assert await ids(external_id=target["external_id"]) == [target["id"]]
    assert await ids(tag=target["tags"][0]) == [target["id"]]
    assert await ids(q="%") == []  # wildcards are literal


async def test_customers_are_paginated_in_creation_order(
    client: httpx.AsyncClient, make_tenant: Any, make_customer: MakeCustomer
) -> None:
    tenant = await make_tenant()
    made = [(await make_customer(tenant))["id"] for _ in range(3)]

    first = (await client.get(BASE, params={"limit": 2}, headers=tenant.headers)).json()
    rest = (await client.get(BASE, params={"limit": 2, "starting_after": made[1]}, headers=tenant.headers)).json()

    assert [c["id"] for c in first["data"]] == made[:2]
    assert first["has_more"] is True
    assert [c["id"] for c in rest["data"]] == made[2:]
    assert rest["has_more"] is False


async def test_addresses_keep_one_default_shipping_and_one_default_billing(
    client: httpx.AsyncClient, database: Database, tenant_a: TenantHandle, make_customer: MakeCustomer
) -> None:
    customer = await make_customer(tenant_a)
    url = f"{BASE}/{customer['id']}/addresses"

    home = (await client.post(url, json=address_body(), headers=tenant_a.headers)).json()
    work = await client.post(url, json=address_body(is_default_billing=True), headers=tenant_a.headers)
    assert work.status_code == 201, work.text
    moved = await client.patch(f"{url}/{home['id']}", json={"is_default_shipping": False}, headers=tenant_a.headers)
    made_default = await client.patch(
        f"{url}/{work.json()['id']}", json={"is_default_shipping": True}, headers=tenant_a.headers
    )
    listed = (await client.get(url, headers=tenant_a.headers)).json()["data"]

    assert home["is_default_shipping"]
    assert home["is_default_billing"]
    assert home["country_code"] == "GB"
    assert moved.status_code == 200
    assert made_default.status_code == 200
    defaults = {a["id"]: (a["is_default_shipping"], a["is_default_billing"]) for a in listed}
    assert defaults == {home["id"]: (False, False), work.json()["id"]: (True, True)}
    deleted = await client.delete(f"{url}/{home['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 204
    assert len((await client.get(url, headers=tenant_a.headers)).json()["data"]) == 1
    customer_events = await events_of(database, tenant_a, customer["id"])
    assert [t for t, _ in customer_events] == ["customer.created"] + ["customer.updated"] * 5
    assert (await client.get(f"{BASE}/{customer['id']}", headers=tenant_a.headers)).json()["version"] == 6


async def test_deleting_a_customer_leaves_only_its_id_in_the_events(
    client: httpx.AsyncClient, database: Database, tenant_a: TenantHandle, make_customer: MakeCustomer
) -> None:
    customer = await make_customer(tenant_a)

    deleted = await client.delete(f"{BASE}/{customer['id']}", headers=tenant_a.headers)

    assert deleted.status_code == 204
    assert (await client.get(f"{BASE}/{customer['id']}", headers=tenant_a.headers)).status_code == 404
    assert [t for t, _ in await events_of(database, tenant_a, customer["id"])] == [
        "customer.created",
        "customer.deleted",
    ]
    for value in (customer["email"], customer["last_name"], customer["note"]):
        assert await schema_places_holding(database, tenant_a.schema_name, value) == [], value


async def test_another_tenant_never_reads_or_writes_a_customer(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_customer: MakeCustomer
) -> None:
    customer = await make_customer(tenant_a)
    address = (
        await client.post(f"{BASE}/{customer['id']}/addresses", json=address_body(), headers=tenant_a.headers)
    ).json()
    url = f"{BASE}/{customer['id']}"
    before = (await client.get(url, headers=tenant_a.headers)).json()
    b = tenant_b.headers

    attempts = {
        "get": await client.get(url, headers=b),
        "update": await client.patch(url, json={"note": "mine"}, headers=b),
        "delete": await client.delete(url, headers=b),
        "erase": await client.post(f"{url}/erase", headers=b),
        "export": await client.post(f"{url}/data-export", headers=b),
        "addresses": await client.get(f"{url}/addresses", headers=b),
        "address": await client.get(f"{url}/addresses/{address['id']}", headers=b),
        "add address": await client.post(f"{url}/addresses", json=address_body(), headers=b),
        "change address": await client.patch(f"{url}/addresses/{address['id']}", json={"city": "X"}, headers=b),
    }
    searches = [
        await client.get(BASE, params={"q": customer["email"]}, headers=b),
        await client.get(BASE, params={"email": customer["email"]}, headers=b),
        await client.get(BASE, params={"external_id": customer["external_id"]}, headers=b),
    ]
    foreign_cursor = await client.get(BASE, params={"starting_after": customer["id"]}, headers=b)

    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 404)
    assert all(r.json()["code"] == "customer_not_found" for r in attempts.values())
    assert [r.json()["data"] for r in searches] == [[], [], []]
    assert foreign_cursor.status_code == 422
    assert foreign_cursor.json()["code"] == "invalid_cursor"
    assert (await client.get(url, headers=tenant_a.headers)).json() == before
    assert (await client.get(f"{url}/addresses/{address['id']}", headers=tenant_a.headers)).json() == address


async def test_a_customer_created_with_addresses_gets_them_with_the_first_as_defaults(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    body = customer_body(addresses=[address_body(), address_body()])

    created = await client.post(BASE, json=body, headers=tenant_a.headers)

    assert created.status_code == 201, created.text
    listed = (await client.get(f"{BASE}/{created.json()['id']}/addresses", headers=tenant_a.headers)).json()["data"]
    assert [a["line1"] for a in listed] == [a["line1"] for a in body["addresses"]]
    assert [(a["is_default_shipping"], a["is_default_billing"]) for a in listed] == [(True, True), (False, False)]


async def test_a_customer_has_at_most_fifty_addresses(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_customer: MakeCustomer
) -> None:
    customer = await make_customer(tenant_a)
    url = f"{BASE}/{customer['id']}/addresses"
    for _ in range(50):
        assert (await client.post(url, json=address_body(), headers=tenant_a.headers)).status_code == 201

    refused = await client.post(url, json=address_body(), headers=tenant_a.headers)

    assert refused.status_code == 409
    assert refused.json()["code"] == "customer_address_limit_reached"
    assert len((await client.get(url, headers=tenant_a.headers)).json()["data"]) == 50
