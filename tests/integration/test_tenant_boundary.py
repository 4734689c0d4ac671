"""Credentials carry their tenant: a token of one tenant is refused on every other, and never answered with data."""

from __future__ import annotations

import httpx

from tests.fixtures.auth import OperatorHandle
from tests.fixtures.oauth import RegisterClient
from tests.fixtures.staff import MakeApiKey, bearer
from tests.fixtures.tenants import TenantHandle


async def test_token_of_tenant_a_is_refused_on_tenant_b_by_header(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    response = await client.get(
        "/admin/v1/shop", headers={"x-tenant": tenant_b.slug, "authorization": f"Bearer {tenant_a.token}"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert tenant_b.name not in response.text


async def test_token_of_tenant_a_is_refused_on_tenant_b_by_host(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    response = await client.patch(
        "/admin/v1/shop",
        json={"name": "hijacked"},
        headers={"host": f"{tenant_b.slug}.localhost", "authorization": f"Bearer {tenant_a.token}"},
    )
    assert response.status_code == 401
    shop_b = await client.get("/admin/v1/shop", headers=tenant_b.headers)
    assert shop_b.json()["name"] == tenant_b.name


async def test_owner_of_a_cannot_log_in_on_b(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    response = await client.post(
        "/admin/v1/auth/token",
        json={"email": tenant_a.owner_email, "password": tenant_a.owner_password},
        headers={"x-tenant": tenant_b.slug},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    wrong_password = await client.post(
        "/admin/v1/auth/token",
        json={"email": tenant_a.owner_email, "password": "not-the-password"},
        headers={"x-tenant": tenant_a.slug},
    )
    unknown_email = await client.post(
        "/admin/v1/auth/token",
        json={"email": "nobody@example.com", "password": "not-the-password"},
        headers={"x-tenant": tenant_a.slug},
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() | {"instance": wrong_password.json()["instance"]}


async def test_staff_token_is_not_a_platform_token(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    response = await client.get("/platform/v1/tenants", headers={"authorization": f"Bearer {tenant_a.token}"})
    assert response.status_code == 401


async def test_platform_token_is_not_a_staff_token(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    response = await client.get("/admin/v1/shop", headers={"x-tenant": tenant_a.slug, **operator.headers})
    assert response.status_code == 401


async def test_missing_and_garbage_tokens_are_401_problems(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    for headers in ({}, {"authorization": "Bearer garbage"}, {"authorization": "Basic dTpw"}):
        response = await client.get("/admin/v1/shop", headers={"x-tenant": tenant_a.slug, **headers})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_another_tenants_api_key_id_is_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key_of_b = await make_api_key(tenant_b, ["products:read"])

    rolled = await client.post(f"/admin/v1/api-keys/{key_of_b.id}/roll", json={}, headers=tenant_a.headers)
    revoked = await client.delete(f"/admin/v1/api-keys/{key_of_b.id}", headers=tenant_a.headers)

    assert (rolled.status_code, rolled.json()["code"]) == (404, "api_key_not_found")
    assert (revoked.status_code, revoked.json()["code"]) == (404, "api_key_not_found")
    listed = (await client.get("/admin/v1/api-keys", headers=tenant_b.headers)).json()["data"]
    assert [key["id"] for key in listed] == [key_of_b.id]  # still there, untouched
    assert (await client.get("/admin/v1/shop", headers=bearer(tenant_b, key_of_b.secret))).status_code == 403


async def test_another_tenants_oauth_client_id_is_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, register_client: RegisterClient
) -> None:
    client_of_b = await register_client(tenant_b, kind="confidential")
    path = f"/admin/v1/oauth-clients/{client_of_b.id}"

    responses = [
        await client.get(path, headers=tenant_a.headers),
        await client.patch(path, json={"name": "hijacked"}, headers=tenant_a.headers),
        await client.post(f"{path}/roll-secret", json={}, headers=tenant_a.headers),
        await client.delete(path, headers=tenant_a.headers),
    ]

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(404, "oauth_client_not_found")] * 4
    unchanged = (await client.get(path, headers=tenant_b.headers)).json()
    assert unchanged["name"] == "Storefront confidential"
