"""No secret, token or password is stored in clear or logged: drive every credential flow, then search for them."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from core.db import Database
from core.settings import Settings
from tests.fixtures.oauth import (
    REDIRECT_URI,
    Browser,
    RegisterClient,
    authorize_query,
    callback_params,
    password_reset_token,
    pkce,
    token_request,
)
from tests.fixtures.tenants import TenantHandle


async def _dump_schema(database: Database, schema: str) -> str:
    """Every row of every table of the schema, as text (bytea as hex)."""
    async with database.public_session() as db:
        tables = (await db.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})).all()
        rows: list[str] = []
        for table in tables:
            qualified = ".".join('"' + name.replace('"', '""') + '"' for name in (schema, table))
            result = await db.scalars(text(f"SELECT t::text FROM {qualified} t"))
            rows.extend(result.all())
    return "\n".join(rows)


async def test_no_credential_is_stored_in_clear_or_logged(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: Callable[[TenantHandle], Browser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: dict[str, str] = {"owner password": tenant_a.owner_password, "staff access token": tenant_a.token}

    staff = await client.post(
        "/admin/v1/auth/token",
        json={"email": tenant_a.owner_email, "password": tenant_a.owner_password},
        headers={"x-tenant": tenant_a.slug},
    )
    secrets["staff refresh token"] = staff.json()["refresh_token"]
    key = await client.post(
        "/admin/v1/api-keys", json={"name": "erp", "scopes": ["settings:read"]}, headers=tenant_a.headers
    )
    secrets["api key"] = key.json()["secret"]
    assert (
        await client.get(
            "/admin/v1/shop", headers={"x-tenant": tenant_a.slug, "authorization": f"Bearer {secrets['api key']}"}
        )
    ).status_code == 200

    storefront = await register_client(tenant_a, kind="confidential")
    assert storefront.client_secret is not None
    secrets["client secret"] = storefront.client_secret
    browser = browser_for(tenant_a)
    secrets["customer password"] = browser.password
    assert (await browser.sign_up()).status_code == 303
    verifier, challenge = pkce()
    code = callback_params(await browser.authorize(authorize_query(storefront.client_id, challenge)))["code"]
    secrets["authorization code"] = code
    secrets["code verifier"] = verifier
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    tokens = (
        await token_request(app, tenant_a, exchange, auth=(storefront.client_id, storefront.client_secret))
    ).json()
    secrets["oauth access token"] = tokens["access_token"]
    secrets["oauth refresh token"] = tokens["refresh_token"]
    refreshed = await token_request(
        app,
        tenant_a,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(storefront.client_id, storefront.client_secret),
    )
    secrets["rotated refresh token"] = refreshed.json()["refresh_token"]

    reset = await password_reset_token(database, settings, tenant_a, browser.email)
    secrets["password reset token"] = reset
    new_password = "a-brand-new-password-42"  # pragma: allowlist secret
    token = await browser.csrf(f"/oauth/password-reset?token={reset}")
    done = await browser.http.post(
        "/oauth/password-reset", data={"csrf_token": token, "token": reset, "password": new_password}
    )
    assert done.status_code == 200, done.text
    secrets["new customer password"] = new_password

    stored = await _dump_schema(database, tenant_a.schema_name)
    stored += await _dump_schema(database, "public")
    # Everything the product logged (httpx is the test's own client, printing the URLs it requests).
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records if not r.name.startswith("httpx"))
    for name, secret in secrets.items():
        assert secret not in stored, f"{name} is stored in clear"
        assert secret not in logged, f"{name} was logged"
    assert stored.count("$argon2id$") >= 2  # the passwords are there, as argon2id hashes
