"""Storefront carts over real HTTP: guest secrets, shopper carts, lines, totals, versions, tenant boundary."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.catalog import MakeProduct, MakePublishableKey
from tests.fixtures.tenants import TenantHandle

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _variant(make_product: MakeProduct, tenant: TenantHandle, **prices: int) -> dict[str, Any]:
    body_prices = [{"amount": amount, "currency": currency} for currency, amount in (prices or {"EUR": 1999}).items()]
    variant = {"sku": f"SKU-{uuid.uuid4().hex[:8]}", "option_values": [], "prices": body_prices}
    product = await make_product(tenant, options=[], variants=[variant])
    found: dict[str, Any] = product["variants"][0]
    return found


async def test_a_guest_cart_needs_its_secret(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    make_product: MakeProduct,
    make_publishable_key: MakePublishableKey,
) -> None:
    key = await make_publishable_key(tenant_a)
    variant = await _variant(make_product, tenant_a, EUR=1999)
    created = await client.post(
        "/storefront/v1/carts",
        json={"currency": "EUR", "lines": [{"variant_id": variant["id"], "quantity": 2}]},
        headers=key.headers,
    )
    assert created.status_code == 201, created.text
    cart = created.json()
    assert cart["secret"].startswith("crt_")
    assert cart["totals"] == {"subtotal": 3998, "discount_total": 0, "shipping_total": 0, "tax_total": 0, "total": 3998}
    assert created.headers["etag"] == '"1"'
    path = f"/storefront/v1/carts/{cart['id']}"

    # Without the secret, or with a wrong one, the cart does not exist.
    for headers in (key.headers, {**key.headers, "x-cart-secret": "crt_wrong"}):  # pragma: allowlist secret
        assert (await client.get(path, headers=headers)).status_code == 404
        refused = await client.post(f"{path}/lines", json={"variant_id": variant["id"]}, headers=headers)
        assert refused.status_code == 404
        assert refused.json()["code"] == "cart_not_found"

    mine = {**key.headers, "x-cart-secret": cart["secret"]}
    read = await client.get(path, headers=mine)
    assert read.status_code == 200
    assert "secret" not in read.json()

    added = await client.post(f"{path}/lines", json={"variant_id": variant["id"], "quantity": 1}, headers=mine)
    assert added.status_code == 200, added.text
    assert added.json()["lines"][0]["quantity"] == 3
    assert added.json()["totals"]["total"] == 5997
    assert added.json()["version"] == 2

    stale = await client.patch(path, json={"email": "a@example.com"}, headers={**mine, "if-match": '"1"'})
    assert stale.status_code == 412
    line_id = added.json()["lines"][0]["id"]
    changed = await client.patch(f"{path}/lines/{line_id}", json={"quantity": 1}, headers={**mine, "if-match": '"2"'})
    assert changed.status_code == 200
    assert changed.json()["totals"]["subtotal"] == 1999
    address = {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "fr"}
    updated = await client.patch(path, json={"email": "A@Example.com", "shipping_address": address}, headers=mine)
    assert updated.status_code == 200, updated.text
    assert updated.json()["email"] == "a@example.com"
    assert updated.json()["shipping_address"]["country"] == "FR"
    bad = await client.patch(path, json={"shipping_address": {**address, "country": "XX"}}, headers=mine)
    assert bad.status_code == 422
    removed = await client.delete(f"{path}/lines/{line_id}", headers=mine)
    assert removed.status_code == 200
    assert removed.json()["lines"] == []
    assert removed.json()["totals"]["total"] == 0


async def test_lines_must_be_for_sale_in_the_cart_currency(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    make_product: MakeProduct,
    make_publishable_key: MakePublishableKey,
) -> None:
    key = await make_publishable_key(tenant_a)
    euro_only = await _variant(make_product, tenant_a, EUR=1000)
    jpy = await _variant(make_product, tenant_a, JPY=500)
    refused = await client.post(
        "/storefront/v1/carts",
        json={"currency": "JPY", "lines": [{"variant_id": euro_only["id"]}]},
        headers=key.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "variant_not_for_sale"
    created = await client.post(
        "/storefront/v1/carts",
        json={"currency": "JPY", "lines": [{"variant_id": jpy["id"], "quantity": 3}]},
        headers=key.headers,
    )
    assert created.json()["totals"]["total"] == 1500
    too_many = await client.post(
        f"/storefront/v1/carts/{created.json()['id']}/lines",
        json={"variant_id": jpy["id"], "quantity": 999},
        headers={**key.headers, "x-cart-secret": created.json()["secret"]},
    )
    assert too_many.status_code == 422


async def test_another_tenants_cart_is_not_found(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_product: MakeProduct,
    make_publishable_key: MakePublishableKey,
) -> None:
    key_a, key_b = await make_publishable_key(tenant_a), await make_publishable_key(tenant_b)
    variant = await _variant(make_product, tenant_a)
    cart = (
        await client.post(
            "/storefront/v1/carts",
            json={"currency": "EUR", "lines": [{"variant_id": variant["id"]}]},
            headers=key_a.headers,
        )
    ).json()
    with_secret_on_b = {**key_b.headers, "x-cart-secret": cart["secret"]}
    path = f"/storefront/v1/carts/{cart['id']}"
    assert (await client.get(path, headers=with_secret_on_b)).status_code == 404
    assert (await client.patch(path, json={"email": "x@example.com"}, headers=with_secret_on_b)).status_code == 404
    # A key of tenant A sent to tenant B's host is no credential there.
    assert (await client.get(path, headers={**key_a.headers, "x-tenant": tenant_b.slug})).status_code == 401
