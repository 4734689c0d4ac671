"""The storefront surface with OAuth tokens: what each token kind reaches, on its own tenant only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from core.db import Database
from core.settings import Settings
from tests.fixtures.oauth import Browser, RegisterClient, password_reset_token, shopper_token, storefront_http
from tests.fixtures.tenants import TenantHandle

OpenBrowser = Callable[[TenantHandle], Browser]
NEW_PASSWORD = "correct-horse-battery-staple"  # pragma: allowlist secret


async def test_shopper_reads_and_changes_their_profile(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    browser = browser_for(tenant_a)
    token = await shopper_token(app, tenant_a, register_client, browser, "customer:profile storefront:catalog")

    async with storefront_http(app, tenant_a, token) as http:
        changed = await http.patch("/storefront/v1/customer", json={"name": "Ada Lovelace"})
        read = await http.get("/storefront/v1/customer")
        shop = await http.get("/storefront/v1/shop")

    assert changed.status_code == 200, changed.text
    assert read.json()["name"] == "Ada Lovelace"
    assert read.json()["email"] == browser.email
    assert shop.status_code == 200
    assert shop.json()["name"] == tenant_a.name
    assert "version" not in shop.json()  # public facts only
    assert shop.json()["prices_include_tax"] is False


async def test_a_token_without_customer_profile_is_refused_with_the_scope_named(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient, browser_for: OpenBrowser
) -> None:
    token = await shopper_token(app, tenant_a, register_client, browser_for(tenant_a), "storefront:catalog")

    async with storefront_http(app, tenant_a, token) as http:
        response = await http.get("/storefront/v1/customer")

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert response.json()["required_scope"] == "customer:profile"


async def test_storefront_token_of_tenant_a_is_refused_on_tenant_b(
    app: FastAPI,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    token = await shopper_token(app, tenant_a, register_client, browser_for(tenant_a), "customer:profile")

    async with storefront_http(app, tenant_b, token) as http:
        shop = await http.get("/storefront/v1/shop")
        profile = await http.get("/storefront/v1/customer")

    assert shop.status_code == 401
    assert profile.status_code == 401
    assert tenant_a.name not in shop.text


async def test_staff_tokens_are_not_storefront_tokens(app: FastAPI, tenant_a: TenantHandle) -> None:
    async with storefront_http(app, tenant_a, tenant_a.token) as http:
        response = await http.get("/storefront/v1/shop")

    assert response.status_code == 401


async def test_password_reset_link_works_once_and_ends_the_old_tokens(
    app: FastAPI,
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: OpenBrowser,
) -> None:
    browser = browser_for(tenant_a)
    token = await shopper_token(app, tenant_a, register_client, browser, "customer:profile")
    reset = await password_reset_token(database, settings, tenant_a, browser.email)

    async def submit() -> httpx.Response:
        csrf = await browser.csrf(f"/oauth/password-reset?token={reset}")
        form = {"csrf_token": csrf, "token": reset, "password": NEW_PASSWORD}
        return await browser.http.post("/oauth/password-reset", data=form)

    first, second = await submit(), await submit()

    assert first.status_code == 200
    assert second.status_code == 422
    async with storefront_http(app, tenant_a, token) as http:
        assert (await http.get("/storefront/v1/customer")).status_code == 401
    assert (await browser.sign_in(password=NEW_PASSWORD)).status_code == 303
    assert (await browser.sign_in()).status_code == 401  # the old password
