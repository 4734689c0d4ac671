"""The shopper's own addresses at /storefront/v1/customer/addresses: theirs only, on their tenant only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from tests.fixtures.customers import address_body
from tests.fixtures.oauth import Browser, RegisterClient, shopper_token, storefront_http
from tests.fixtures.tenants import TenantHandle

OpenBrowser = Callable[[TenantHandle], Browser]
SCOPE = "customer:profile storefront:catalog"
ADDRESSES = "/storefront/v1/customer/addresses"


async def test_a_shopper_manages_their_own_addresses_and_the_merchant_sees_them(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    token = await shopper_token(app, tenant_a, register_client, browser_for(tenant_a), SCOPE)
    async with storefront_http(app, tenant_a, token) as http:
        home = await http.post(ADDRESSES, json=address_body())
        work = await http.post(ADDRESSES, json=address_body(is_default_shipping=True))
        renamed = await http.patch(f"{ADDRESSES}/{home.json()['id']}", json={"city": "Paris", "country_code": "fr"})
        removed = await http.delete(f"{ADDRESSES}/{work.json()['id']}")
        listed = await http.get(ADDRESSES)
        me = await http.get("/storefront/v1/customer")

    assert home.status_code == work.status_code == 201
    assert renamed.status_code == 200
    assert (renamed.json()["city"], renamed.json()["country_code"]) == ("Paris", "FR")
    assert removed.status_code == 204
    [kept] = listed.json()["data"]
    assert kept["id"] == home.json()["id"]
    assert kept["is_default_billing"] is True  # the first address became both defaults
    assert kept["is_default_shipping"] is False  # the second took shipping, and is gone
    merchant_view = await client.get(f"/admin/v1/customers/{me.json()['id']}/addresses", headers=tenant_a.headers)
    assert merchant_view.json()["data"] == listed.json()["data"]


async def test_a_shopper_never_reaches_another_shoppers_address(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    owner = await shopper_token(app, tenant_a, register_client, browser_for(tenant_a), SCOPE)
    other = await shopper_token(app, tenant_a, register_client, browser_for(tenant_a), SCOPE)
    async with storefront_http(app, tenant_a, owner) as http:
        address = (await http.post(ADDRESSES, json=address_body())).json()

    async with storefront_http(app, tenant_a, other) as http:
        read = await http.get(f"{ADDRESSES}/{address['id']}")
        changed = await http.patch(f"{ADDRESSES}/{address['id']}", json={"city": "Elsewhere"})
        deleted = await http.delete(f"{ADDRESSES}/{address['id']}")
        listed = await http.get(ADDRESSES)

    assert [r.status_code for r in (read, changed, deleted)] == [404, 404, 404]
    assert read.json()["code"] == "customer_address_not_found"
    assert listed.json()["data"] == []
    async with storefront_http(app, tenant_a, owner) as http:
        assert (await http.get(f"{ADDRESSES}/{address['id']}")).json() == address


async def test_a_shopper_token_of_another_tenant_is_refused(
    app: FastAPI,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    token_b = await shopper_token(app, tenant_b, register_client, browser_for(tenant_b), SCOPE)

    async with storefront_http(app, tenant_a, token_b) as http:
        listed = await http.get(ADDRESSES)
        added = await http.post(ADDRESSES, json=address_body())

    assert (listed.status_code, added.status_code) == (401, 401)
    assert listed.json()["code"] == "invalid_token"
