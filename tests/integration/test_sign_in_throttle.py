"""Staff sign-in is slowed per account and per client address (customers': test_oauth_server.py)."""

from __future__ import annotations

import ipaddress
import secrets
import uuid

import httpx
from fastapi import FastAPI

from core.settings import Settings
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.tenants import TenantHandle


async def _sign_in(client: httpx.AsyncClient, tenant: TenantHandle, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/admin/v1/auth/token", json={"email": email, "password": password}, headers={"x-tenant": tenant.slug}
    )


async def test_sixth_attempt_on_one_account_waits_even_with_the_right_password(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    statuses = [
        (await _sign_in(client, tenant_a, tenant_a.owner_email, "wrong-password")).status_code for _ in range(5)
    ]
    blocked = await _sign_in(client, tenant_a, tenant_a.owner_email, tenant_a.owner_password)

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_login_attempts"
    assert int(blocked.headers["retry-after"]) >= 1
    assert tenant_a.owner_email not in blocked.text


async def test_a_success_clears_the_account_count(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    for _ in range(4):
        assert (await _sign_in(client, tenant_a, tenant_a.owner_email, "wrong-password")).status_code == 401
    assert (await _sign_in(client, tenant_a, tenant_a.owner_email, tenant_a.owner_password)).status_code == 200

    statuses = [
        (await _sign_in(client, tenant_a, tenant_a.owner_email, "wrong-password")).status_code for _ in range(4)
    ]

    assert statuses == [401] * 4


async def test_one_address_guessing_many_accounts_is_stopped(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    for _ in range(50):
        email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
        assert (await _sign_in(client, tenant_a, email, "wrong-password")).status_code == 401

    blocked = await _sign_in(client, tenant_a, tenant_a.owner_email, tenant_a.owner_password)

    assert blocked.status_code == 429


async def test_limits_are_per_tenant(client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle) -> None:
    for _ in range(6):
        await _sign_in(client, tenant_a, tenant_a.owner_email, "wrong-password")

    assert (await _sign_in(client, tenant_b, tenant_b.owner_email, tenant_b.owner_password)).status_code == 200


def _own_address(app: FastAPI) -> httpx.AsyncClient:
    """A client at an address of its own: operator failures count per address across the whole platform (and in
    Redis across runs), so these tests must not spend the suite's shared 127.0.0.1 budget."""
    address = str(ipaddress.IPv4Address("198.18.0.0") + secrets.randbelow(2**17))
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://api.localhost")


async def test_operator_sign_in_is_throttled_like_staff_sign_in(app: FastAPI, operator: OperatorHandle) -> None:
    wrong = {"email": operator.email, "password": "wrong-password"}  # pragma: allowlist secret
    right = {"email": operator.email, "password": operator.password}
    async with _own_address(app) as client:
        statuses = [(await client.post("/platform/v1/auth/token", json=wrong)).status_code for _ in range(5)]
        blocked = await client.post("/platform/v1/auth/token", json=right)

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_login_attempts"
    assert int(blocked.headers["retry-after"]) >= 1
    assert operator.email not in blocked.text


async def test_a_successful_operator_sign_in_clears_the_account_count(app: FastAPI, operator: OperatorHandle) -> None:
    wrong = {"email": operator.email, "password": "wrong-password"}  # pragma: allowlist secret
    right = {"email": operator.email, "password": operator.password}
    async with _own_address(app) as client:
        for _ in range(3):
            assert (await client.post("/platform/v1/auth/token", json=wrong)).status_code == 401
        assert (await client.post("/platform/v1/auth/token", json=right)).status_code == 200
        statuses = [(await client.post("/platform/v1/auth/token", json=wrong)).status_code for _ in range(4)]

    assert statuses == [401] * 4


async def test_operator_failures_from_one_address_stop_it_for_every_account(
    app: FastAPI, operator: OperatorHandle, settings: Settings
) -> None:
    async with _own_address(app) as client:
        for _ in range(settings.ratelimit.login_max_failures_per_ip):
            email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
            assert (
                await client.post("/platform/v1/auth/token", json={"email": email, "password": "x"})
            ).status_code == 401
        right = {"email": operator.email, "password": operator.password}
        blocked = await client.post("/platform/v1/auth/token", json=right)

    assert blocked.status_code == 429
