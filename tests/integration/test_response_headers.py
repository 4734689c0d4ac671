"""Headers that keep credentials out of caches and JSON out of content sniffing."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.fixtures.auth import OperatorHandle
from tests.fixtures.http import asgi_client
from tests.fixtures.tenants import TenantHandle


async def test_operator_token_response_is_not_stored(client: httpx.AsyncClient, operator: OperatorHandle) -> None:
    response = await client.post(
        "/platform/v1/auth/token", json={"email": operator.email, "password": operator.password}
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


async def test_staff_token_and_refresh_responses_are_not_stored(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    headers = {"x-tenant": tenant_a.slug}
    signed_in = await client.post(
        "/admin/v1/auth/token",
        json={"email": tenant_a.owner_email, "password": tenant_a.owner_password},
        headers=headers,
    )
    refreshed = await client.post(
        "/admin/v1/auth/refresh", json={"refresh_token": signed_in.json()["refresh_token"]}, headers=headers
    )

    assert signed_in.status_code == refreshed.status_code == 200
    assert signed_in.headers["cache-control"] == "no-store"
    assert refreshed.headers["cache-control"] == "no-store"


async def test_every_kind_of_answer_forbids_sniffing(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    answers = [
        await client.get("/healthz"),  # a plain route
        await client.get("/admin/v1/shop", headers=tenant_a.headers),  # a tenant route
        await client.get("/admin/v1/shop", headers={"x-tenant": "no-such-shop"}),  # a problem from the middleware
        await client.get("/no/such/route"),  # a router-level problem
    ]

    assert [a.headers.get("x-content-type-options") for a in answers] == ["nosniff"] * 4


async def test_hsts_only_over_https(app: FastAPI) -> None:
    async with asgi_client(app, "https://api.localhost") as https:
        secure = await https.get("/healthz")
    async with asgi_client(app) as http:
        plain = await http.get("/healthz")

    assert secure.headers["strict-transport-security"].startswith("max-age=")
    assert "includeSubDomains" in secure.headers["strict-transport-security"]
    assert "strict-transport-security" not in plain.headers
