"""OpenAPI documents every security scheme, every scope, and each storefront route's requirement."""

from __future__ import annotations

from typing import Any

import httpx

from auth.scopes import ADMIN_SCOPES, STOREFRONT_SCOPES


async def _spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


async def test_every_credential_kind_is_a_documented_scheme_with_its_scopes(client: httpx.AsyncClient) -> None:
    schemes = (await _spec(client))["components"]["securitySchemes"]

    assert set(schemes) >= {"PlatformToken", "StaffToken", "ApiKey", "StorefrontOAuth", "OAuthClient"}
    assert schemes["StaffToken"]["flows"]["password"]["scopes"] == ADMIN_SCOPES
    flows = schemes["StorefrontOAuth"]["flows"]
    assert flows["authorizationCode"]["scopes"] == STOREFRONT_SCOPES
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert set(flows["clientCredentials"]["scopes"]) == {s for s in STOREFRONT_SCOPES if s.startswith("storefront:")}


async def test_storefront_routes_name_their_scheme_and_scopes(client: httpx.AsyncClient) -> None:
    paths = (await _spec(client))["paths"]

    storefront = {
        (method, path): operation["security"]
        for path, operations in paths.items()
        if path.startswith("/storefront/v1")
        for method, operation in operations.items()
    }
    assert storefront[("get", "/storefront/v1/shop")] == [{"StorefrontOAuth": []}]
    assert storefront[("get", "/storefront/v1/customer")] == [{"StorefrontOAuth": ["customer:profile"]}]
    assert storefront[("patch", "/storefront/v1/customer")] == [{"StorefrontOAuth": ["customer:profile"]}]
    assert paths["/oauth/token"]["post"]["security"] == [{"OAuthClient": []}]
