"""Browser storefronts on the origins of their registered redirect URIs may call the storefront API and /oauth/token."""

from __future__ import annotations

from fastapi import FastAPI

from tests.fixtures.http import asgi_client
from tests.fixtures.oauth import RegisterClient, origin
from tests.fixtures.tenants import TenantHandle

STOREFRONT = "https://storefront.example.com"


def _preflight(from_origin: str) -> dict[str, str]:
    return {
        "origin": from_origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }


async def test_registered_origin_passes_preflight_and_reads_responses(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    await register_client(tenant_a)
    async with asgi_client(app, origin(tenant_a)) as http:
        preflight = await http.options("/oauth/token", headers=_preflight(STOREFRONT))
        response = await http.get("/storefront/v1/shop", headers={"origin": STOREFRONT})

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == STOREFRONT
    assert "content-type" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers
    assert response.status_code == 401  # no token: still a response the page may read
    assert response.headers["access-control-allow-origin"] == STOREFRONT
    assert "Origin" in response.headers["vary"]


async def test_other_origins_are_refused(app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient) -> None:
    await register_client(tenant_a)
    async with asgi_client(app, origin(tenant_a)) as http:
        preflight = await http.options("/oauth/token", headers=_preflight("https://evil.example.com"))
        response = await http.get("/storefront/v1/shop", headers={"origin": "https://evil.example.com"})

    assert preflight.status_code == 403
    assert preflight.json()["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in response.headers


async def test_one_tenants_storefront_origin_is_not_anothers(
    app: FastAPI, tenant_a: TenantHandle, tenant_b: TenantHandle, register_client: RegisterClient
) -> None:
    await register_client(tenant_a)
    async with asgi_client(app, origin(tenant_b)) as http:
        preflight = await http.options("/oauth/token", headers=_preflight(STOREFRONT))

    assert preflight.status_code == 403
