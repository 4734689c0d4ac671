"""The storefront catalog: what publishable keys and storefront tokens read, on their own tenant only."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.fixtures.catalog import MakeCollection, MakeProduct, MakePublishableKey
from tests.fixtures.http import asgi_client
from tests.fixtures.oauth import RegisterClient, origin, token_request
from tests.fixtures.tenants import TenantHandle

WEB_SHOP = "https://shop.example.com"


def _variants(sku: str) -> list[dict[str, Any]]:
    return [
        {
            "sku": sku,
            "option_values": [],
            "track_inventory": False,  # no stock recorded: sellable only because stock is not tracked
            "prices": [
                {"amount": 1999, "currency": "EUR", "compare_at_amount": 2499},
                {"amount": 2500, "currency": "JPY"},
                {"amount": 1500, "currency": "KWD"},
            ],
        }
    ]


async def test_publishable_key_reads_active_products_in_the_asked_currency(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    make_product: MakeProduct,
    make_publishable_key: MakePublishableKey,
) -> None:
    shirt = await make_product(tenant_a, title="Blue shirt", options=[], variants=_variants("SF-SHIRT"))
    await make_product(tenant_a, title="Hidden draft", status="draft", options=[], variants=[])
    key = await make_publishable_key(tenant_a)

    listed = await client.get("/storefront/v1/products", params={"currency": "EUR"}, headers=key.headers)
    assert listed.status_code == 200, listed.text
    assert listed.headers["content-type"] == "application/json"
    body = listed.json()
    assert [product["title"] for product in body["data"]] == ["Blue shirt"]
    assert body["has_more"] is False
    [variant] = body["data"][0]["variants"]
    assert variant["price"] == {"amount": 1999, "currency": "EUR"}
    assert variant["compare_at_price"] == {"amount": 2499, "currency": "EUR"}
    assert variant["available_for_sale"] is True
    assert "prices" not in variant  # the public shape only
    assert "version" not in body["data"][0]

    for currency, amount in (("JPY", 2500), ("KWD", 1500)):
        detail = await client.get(
            f"/storefront/v1/products/{shirt['handle']}", params={"currency": currency}, headers=key.headers
        )
        assert detail.json()["variants"][0]["price"] == {"amount": amount, "currency": currency}
    no_price = await client.get(f"/storefront/v1/products/{shirt['handle']}", headers=key.headers)  # shop: USD
    assert no_price.json()["variants"][0]["price"] is None
    draft = await client.get("/storefront/v1/products/hidden-draft", headers=key.headers)
    assert (draft.status_code, draft.json()["code"]) == (404, "product_not_found")
    unknown = await client.get("/storefront/v1/products", params={"currency": "XYZ"}, headers=key.headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["query", "currency"]


async def test_collections_search_tags_and_pagination(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    make_product: MakeProduct,
    make_collection: MakeCollection,
    make_publishable_key: MakePublishableKey,
) -> None:
    first = await make_product(tenant_a, title="Alpha lamp", tags=["light"])
    second = await make_product(tenant_a, title="Beta lamp", tags=["light"])
    third = await make_product(tenant_a, title="Gamma chair", tags=["seat"])
    await make_collection(tenant_a, title="Lights", handle="lights", product_ids=[second["id"], first["id"]])
    key = await make_publishable_key(tenant_a)

    async def titles(path: str, **params: Any) -> list[str]:
        response = await client.get(path, params=params, headers=key.headers)
        assert response.status_code == 200, response.text
        return [product["title"] for product in response.json()["data"]]

    assert await titles("/storefront/v1/collections/lights/products") == ["Beta lamp", "Alpha lamp"]
    assert await titles("/storefront/v1/products", collection="lights") == ["Beta lamp", "Alpha lamp"]
    assert await titles("/storefront/v1/products", collection="lights", starting_after=second["id"]) == ["Alpha lamp"]
    assert await titles("/storefront/v1/products", tag="seat") == ["Gamma chair"]
    assert sorted(await titles("/storefront/v1/products", q="lam")) == ["Alpha lamp", "Beta lamp"]  # equal ranks
    assert await titles("/storefront/v1/products", q="alpha lam") == ["Alpha lamp"]
    page = (await client.get("/storefront/v1/products", params={"limit": 2}, headers=key.headers)).json()
    assert (len(page["data"]), page["has_more"]) == (2, True)
    assert await titles("/storefront/v1/products", starting_after=page["data"][-1]["id"]) == [third["title"]]
    collections = (await client.get("/storefront/v1/collections", headers=key.headers)).json()
    assert [collection["handle"] for collection in collections["data"]] == ["lights"]
    missing = await client.get("/storefront/v1/collections/nope/products", headers=key.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "collection_not_found")
    bad_cursor = await client.get("/storefront/v1/products", params={"starting_after": "x"}, headers=key.headers)
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (422, "invalid_cursor")


async def test_publishable_key_reads_the_catalog_only_and_only_on_its_tenant(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_product: MakeProduct,
    make_publishable_key: MakePublishableKey,
) -> None:
    product = await make_product(tenant_a, title="Tenant A only")
    key = await make_publishable_key(tenant_a)
    on_b = {**key.headers, "x-tenant": tenant_b.slug}

    refused = await client.get("/storefront/v1/products", headers=on_b)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")
    assert (await client.get(f"/storefront/v1/products/{product['handle']}", headers=on_b)).status_code == 401
    # Not a credential anywhere else: admin API, shop settings, shopper profile.
    assert (await client.get("/admin/v1/products", headers=key.headers)).status_code == 401
    assert (await client.get("/storefront/v1/shop", headers=key.headers)).status_code == 401
    assert (await client.get("/storefront/v1/customer", headers=key.headers)).status_code in (401, 403)

    revoked = await client.delete(f"/admin/v1/publishable-keys/{key.id}", headers=tenant_a.headers)
    assert revoked.status_code == 204
    after = await client.get("/storefront/v1/products", headers=key.headers)
    assert (after.status_code, after.json()["code"]) == (401, "invalid_token")


async def test_publishable_keys_are_shown_once_and_roll(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_publishable_key: MakePublishableKey
) -> None:
    key = await make_publishable_key(tenant_a)
    assert key.key.startswith("pk_")
    listed = (await client.get("/admin/v1/publishable-keys", headers=tenant_a.headers)).json()["data"]
    assert [(item["id"], item["last_four"], "key" in item) for item in listed] == [(key.id, key.key[-4:], False)]
    rolled = await client.post(f"/admin/v1/publishable-keys/{key.id}/roll", headers=tenant_a.headers)
    assert rolled.status_code == 200
    assert (await client.get("/storefront/v1/products", headers=key.headers)).status_code == 401
    fresh = {**key.headers, "authorization": f"Bearer {rolled.json()['key']}"}
    assert (await client.get("/storefront/v1/products", headers=fresh)).status_code == 200


async def test_storefront_oauth_tokens_need_the_catalog_scope(
    app: FastAPI, tenant_a: TenantHandle, tenant_b: TenantHandle, register_client: RegisterClient
) -> None:
    server = await register_client(tenant_a, kind="confidential", scopes=["storefront:catalog"])
    cart_only = await register_client(tenant_a, kind="confidential", scopes=["storefront:carts"])
    tokens = {}
    for name, registered in (("catalog", server), ("carts", cart_only)):
        assert registered.client_secret is not None
        granted = await token_request(
            app, tenant_a, {"grant_type": "client_credentials"}, auth=(registered.client_id, registered.client_secret)
        )
        assert granted.status_code == 200, granted.text
        tokens[name] = granted.json()["access_token"]

    async with asgi_client(app, origin(tenant_a)) as http:
        ok = await http.get("/storefront/v1/products", headers={"authorization": f"Bearer {tokens['catalog']}"})
        scoped_out = await http.get("/storefront/v1/products", headers={"authorization": f"Bearer {tokens['carts']}"})
    async with asgi_client(app, origin(tenant_b)) as http:
        other = await http.get("/storefront/v1/products", headers={"authorization": f"Bearer {tokens['catalog']}"})
    assert ok.status_code == 200
    assert (scoped_out.status_code, scoped_out.json()["required_scope"]) == (403, "storefront:catalog")
    assert other.status_code == 401


async def test_a_publishable_keys_origins_may_call_from_a_browser(
    app: FastAPI, tenant_a: TenantHandle, make_publishable_key: MakePublishableKey
) -> None:
    key = await make_publishable_key(tenant_a, allowed_origins=[WEB_SHOP])
    async with asgi_client(app, origin(tenant_a)) as http:
        preflight = await http.options(
            "/storefront/v1/products",
            headers={"origin": WEB_SHOP, "access-control-request-method": "GET"},
        )
        response = await http.get(
            "/storefront/v1/products", headers={"origin": WEB_SHOP, "authorization": f"Bearer {key.key}"}
        )
        elsewhere = await http.options(
            "/storefront/v1/products",
            headers={"origin": "https://evil.example.com", "access-control-request-method": "GET"},
        )
    assert preflight.status_code == 204
    assert response.headers["access-control-allow-origin"] == WEB_SHOP
    assert elsewhere.status_code == 403


async def test_another_tenants_publishable_key_id_is_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_publishable_key: MakePublishableKey
) -> None:
    key = await make_publishable_key(tenant_b)
    for method, path in (
        ("POST", f"/admin/v1/publishable-keys/{key.id}/roll"),
        ("DELETE", f"/admin/v1/publishable-keys/{key.id}"),
    ):
        response = await client.request(method, path, headers=tenant_a.headers)
        assert (response.status_code, response.json()["code"]) == (404, "publishable_key_not_found")
    assert (await client.get("/admin/v1/publishable-keys", headers=tenant_a.headers)).json()["data"] == []
    assert (await client.get("/storefront/v1/products", headers=key.headers)).status_code == 200  # untouched
