"""OpenAPI documents every security scheme, every scope, and each storefront route's requirement."""

from __future__ import annotations

from typing import Any

import httpx

from auth.staff.roles import ROLE_SCOPES


async def _spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


def _required(paths: dict[str, Any], prefix: str, scheme: str) -> set[str]:
    """Every scope some operation under ``prefix`` requires through ``scheme``."""
    return {
        scope
        for path, operations in paths.items()
        if path.startswith(prefix)
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for scope in requirement.get(scheme, [])
    }


async def test_every_credential_kind_is_a_documented_scheme_with_its_scopes(client: httpx.AsyncClient) -> None:
    spec = await _spec(client)
    schemes = spec["components"]["securitySchemes"]

    assert set(schemes) >= {"PlatformToken", "StaffToken", "ApiKey", "StorefrontOAuth", "OAuthClient", "PublishableKey"}
    # The staff scheme documents exactly what the roles can grant, each with a description, and every scope
    # a route requires is among them (a route requiring an undocumented scope fails here).
    staff_scopes = schemes["StaffToken"]["flows"]["password"]["scopes"]
    assert set(staff_scopes) == set().union(*ROLE_SCOPES.values())
    assert all(description.strip() for description in staff_scopes.values())
    assert _required(spec["paths"], "/admin/v1", "StaffToken") <= set(staff_scopes)
    flows = schemes["StorefrontOAuth"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert _required(spec["paths"], "/storefront/v1", "StorefrontOAuth") <= set(flows["authorizationCode"]["scopes"])
    # A client acting for itself never holds a shopper's scope.
    client_scopes = set(flows["clientCredentials"]["scopes"])
    assert "storefront:catalog" in client_scopes
    assert not {scope for scope in client_scopes if scope.startswith("customer:")}


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
    catalog = [{"PublishableKey": ["storefront:catalog"]}, {"StorefrontOAuth": ["storefront:catalog"]}]
    for path in ("/storefront/v1/products", "/storefront/v1/products/{handle}", "/storefront/v1/collections"):
        assert storefront[("get", path)] == catalog, path
    assert paths["/oauth/token"]["post"]["security"] == [{"OAuthClient": []}]
