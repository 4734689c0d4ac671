"""Whose cart is it: a shopper's cart answers only to that shopper's token, a guest cart only to its secret, and
nothing of tenant A is reachable from tenant B (read, change, check out, confirm)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures.checkout import Shop
from tests.fixtures.oauth import Browser, RegisterClient, shopper_token
from tests.fixtures.tenants import TenantHandle

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCOPE = "customer:profile storefront:carts"


async def _token(app: FastAPI, tenant: TenantHandle, register_client: RegisterClient, browser: Browser) -> str:
    return await shopper_token(app, tenant, register_client, browser, SCOPE)


def _bearer(tenant: TenantHandle, token: str) -> dict[str, str]:
    return {"x-tenant": tenant.slug, "authorization": f"Bearer {token}"}


async def _attempts(http: httpx.AsyncClient, path: str, headers: dict[str, str], variant: str) -> list[int]:
    """Read, change, check out and confirm the cart at ``path``: the status of each."""
    return [
        (await http.get(path, headers=headers)).status_code,
        (await http.patch(path, json={"email": "thief@example.com"}, headers=headers)).status_code,
        (await http.post(f"{path}/lines", json={"variant_id": variant}, headers=headers)).status_code,
        (await http.post(f"{path}/checkout", headers={**headers, "idempotency-key": "k-1"})).status_code,
        (await http.post(f"{path}/checkout/confirm", headers=headers)).status_code,
    ]


async def test_a_shoppers_cart_is_theirs_alone(
    app: FastAPI,
    shop: Shop,
    tenant_b: TenantHandle,
    register_client: RegisterClient,
    browser_for: Callable[[TenantHandle], Browser],
) -> None:
    tenant_a = shop.tenant.handle
    mine = await _token(app, tenant_a, register_client, browser_for(tenant_a))
    someone_else = await _token(app, tenant_a, register_client, browser_for(tenant_a))
    shopper_of_b = await _token(app, tenant_b, register_client, browser_for(tenant_b))
    variant = await shop.variant(stock=5)

    created = await shop.http.post(
        "/storefront/v1/carts",
        json={"currency": "EUR", "email": "me@example.com", "lines": [{"variant_id": variant}]},
        headers=_bearer(tenant_a, mine),
    )
    assert created.status_code == 201, created.text
    cart = created.json()
    assert cart["secret"] is None  # the shopper's token is what authorises it
    assert cart["customer_id"] is not None
    path = f"/storefront/v1/carts/{cart['id']}"
    assert (await shop.http.get(path, headers=_bearer(tenant_a, mine))).status_code == 200

    assert await _attempts(shop.http, path, _bearer(tenant_a, someone_else), variant) == [404] * 5
    assert await _attempts(shop.http, path, shop.storefront, variant) == [404] * 5  # a guest credential
    assert await _attempts(shop.http, path, _bearer(tenant_b, shopper_of_b), variant) == [404] * 5
    # Tenant A's token on tenant B's host is no credential at all.
    assert (await shop.http.get(path, headers=_bearer(tenant_b, mine))).status_code == 401

    started = await shop.http.post(f"{path}/checkout", headers={**_bearer(tenant_a, mine), "idempotency-key": "mine-1"})
    assert started.status_code == 200, started.text


async def test_a_guest_cart_needs_its_secret_for_everything(shop: Shop, tenant_b: TenantHandle) -> None:
    variant = await shop.variant(stock=5)
    cart = await shop.cart(variant)
    path = cart.path
    without = dict(cart.headers)
    secret = without.pop("x-cart-secret")
    assert await _attempts(shop.http, path, without, variant) == [404] * 5
    wrong = {**without, "x-cart-secret": secret[:-2] + "xx"}
    assert await _attempts(shop.http, path, wrong, variant) == [404] * 5
    on_b = {**cart.headers, "x-tenant": tenant_b.slug}
    assert (await shop.http.get(path, headers=on_b)).status_code == 401  # A's publishable key means nothing on B
