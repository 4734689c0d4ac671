"""Every scoped admin route enforces its scope, for every role and for API keys, found by walking the API.

The routes come from the OpenAPI document (each operation's ``security`` lists the scope its dependency
requires), cross-checked against ``app.routes`` so that no admin route can hide from the walk. A route
added tomorrow is covered without touching this file.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from auth import scopes
from auth.staff.models import StaffRole
from auth.staff.roles import ROLE_SCOPES
from tests.fixtures.staff import MakeApiKey, MakeStaff, bearer
from tests.fixtures.tenants import TenantHandle

ADMIN_PREFIX = "/admin/v1"
# Reachable without a bearer token: the credential is in the body.
PUBLIC_OPERATIONS = {"admin_auth_token", "admin_auth_refresh", "staff_accept_invitation"}
# Any signed-in staff member, whatever their role: signing out needs no scope.
UNSCOPED_OPERATIONS = {"admin_auth_logout"}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    security: list[dict[str, list[str]]] | None

    @property
    def scope(self) -> str:
        assert self.security is not None
        [staff_scope] = self.security[0]["StaffToken"]
        return staff_scope

    def url(self) -> str:
        """The path with every parameter filled with a random UUID: a 404 after authorization is fine."""
        return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), self.path)


def admin_operations(app: FastAPI) -> list[Operation]:
    document: dict[str, Any] = app.openapi()
    return [
        Operation(operation["operationId"], method.upper(), path, operation.get("security"))
        for path, operations in document["paths"].items()
        if path.startswith(ADMIN_PREFIX)
        for method, operation in operations.items()
    ]


def scoped(app: FastAPI) -> list[Operation]:
    return [
        op
        for op in admin_operations(app)
        if op.operation_id not in PUBLIC_OPERATIONS and op.operation_id not in UNSCOPED_OPERATIONS
    ]


async def call(client: httpx.AsyncClient, operation: Operation, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, object] | None = {} if operation.method in ("POST", "PUT", "PATCH") else None
    return await client.request(operation.method, operation.url(), headers=headers, json=body)


def unrelated_scope(scope: str) -> str:
    """A scope of another resource: neither it nor what it implies is ``scope``."""
    resource = scope.split(":")[0]
    return next(other for other in scopes.ADMIN_SCOPES if other.split(":")[0] != resource)


def test_every_admin_route_is_in_the_openapi_document(app: FastAPI) -> None:
    # ``iter_route_contexts`` flattens included routers into the routes as served (prefixes applied).
    routes = {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and route.path and route.path.startswith(ADMIN_PREFIX)
        for method in route.methods or ()
    }
    documented = {(op.method, op.path) for op in admin_operations(app)}
    assert routes == documented
    assert len(scoped(app)) >= 14  # the walk below sees the routes (shop, API keys, staff)


def test_both_merchant_credentials_are_documented(app: FastAPI) -> None:
    schemes = app.openapi()["components"]["securitySchemes"]

    assert schemes["StaffToken"]["type"] == "oauth2"
    assert schemes["StaffToken"]["flows"]["password"]["tokenUrl"] == "/admin/v1/auth/token"
    assert {op.scope for op in scoped(app)} <= set(schemes["StaffToken"]["flows"]["password"]["scopes"])
    assert schemes["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["ApiKey"]["description"],
    }
    assert "sk_" in schemes["ApiKey"]["description"]


def test_every_admin_operation_but_the_public_ones_lists_its_scope(app: FastAPI) -> None:
    for op in admin_operations(app):
        if op.operation_id in PUBLIC_OPERATIONS:
            assert op.security is None, op.operation_id
            continue
        assert op.security is not None, f"{op.operation_id} has no security requirement"
        if op.operation_id in UNSCOPED_OPERATIONS:  # a staff member's own sign-in: no API key, no scope
            assert op.security == [{"StaffToken": []}], op.operation_id
        else:
            assert [set(requirement) for requirement in op.security] == [{"StaffToken"}, {"ApiKey"}], op.operation_id
            staff_scopes, key_scopes = op.security[0]["StaffToken"], op.security[1]["ApiKey"]
            assert staff_scopes == key_scopes, op.operation_id
            assert len(staff_scopes) == 1, f"{op.operation_id} lists {staff_scopes}"
            assert staff_scopes[0] in scopes.ADMIN_SCOPES, op.operation_id
            # Reading needs a read scope; anything that changes state needs a write scope.
            kind = ":read" if op.method == "GET" else ":write"
            assert staff_scopes[0].endswith(kind), f"{op.method} {op.path} requires {staff_scopes[0]}"


async def test_public_operations_need_no_bearer_token(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: TenantHandle
) -> None:
    for op in admin_operations(app):
        if op.operation_id in PUBLIC_OPERATIONS:
            response = await call(client, op, {"x-tenant": tenant_a.slug})
            assert response.status_code == 422, (op.operation_id, response.text)  # the body, not the credential


async def test_each_role_reaches_exactly_the_scoped_routes_its_role_allows(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    tokens = {StaffRole.OWNER: tenant_a.token}
    for role in (StaffRole.ADMIN, StaffRole.STAFF, StaffRole.READ_ONLY):
        tokens[role] = (await make_staff(tenant_a, role.value)).token
    failures = []

    for op in scoped(app):
        for role, token in tokens.items():
            response = await call(client, op, bearer(tenant_a, token))
            if op.scope in ROLE_SCOPES[role]:
                if response.status_code in (401, 403):
                    failures.append(f"{role} refused on {op.method} {op.path}: {response.text}")
            elif (response.status_code, response.json().get("code"), response.json().get("required_scope")) != (
                403,
                "insufficient_scope",
                op.scope,
            ):
                failures.append(f"{role} not refused {op.scope} on {op.method} {op.path}: {response.text}")

    assert failures == []
    # The walk reached a refusal for every write scope through the read_only role.
    assert all(
        scope.endswith(":read") or scope not in ROLE_SCOPES[StaffRole.READ_ONLY]
        for scope in {op.scope for op in scoped(app)}
    )


async def test_api_keys_reach_exactly_the_scoped_routes_their_scopes_allow(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    keys = {scope: (await make_api_key(tenant_a, [scope])).headers for scope in scopes.ADMIN_SCOPES}
    failures = []

    for op in scoped(app):
        write = op.scope.split(":")[0] + ":write"
        # The scope itself, and the write scope that implies it (read-only resources, such as events, have none).
        for granted in {op.scope, write} & set(keys):
            response = await call(client, op, keys[granted])
            if response.status_code in (401, 403):
                failures.append(f"key with {granted} refused on {op.method} {op.path}: {response.text}")
        refused = await call(client, op, keys[unrelated_scope(op.scope)])
        if (refused.status_code, refused.json().get("code"), refused.json().get("required_scope")) != (
            403,
            "insufficient_scope",
            op.scope,
        ):
            failures.append(f"unrelated key not refused on {op.method} {op.path}: {refused.text}")
        if op.scope.endswith(":write"):
            read_only_key = await call(client, op, keys[op.scope.removesuffix(":write") + ":read"])
            if read_only_key.status_code != 403:
                failures.append(f"read key not refused {op.scope} on {op.method} {op.path}")

    assert failures == []


def test_the_walk_covers_the_customer_and_inventory_routes(app: FastAPI) -> None:
    walked = {op.operation_id: op.scope for op in scoped(app)}
    expected = {
        "customers_list": "customers:read",
        "customers_create": "customers:write",
        "customers_get": "customers:read",
        "customers_update": "customers:write",
        "customers_delete": "customers:write",
        "customers_erase": "customers:write",
        "customers_request_data_export": "customers:write",
        "customers_get_data_export": "customers:read",
        "customer_addresses_list": "customers:read",
        "customer_addresses_create": "customers:write",
        "customer_addresses_get": "customers:read",
        "customer_addresses_update": "customers:write",
        "customer_addresses_delete": "customers:write",
        "locations_list": "inventory:read",
        "locations_create": "inventory:write",
        "locations_get": "inventory:read",
        "locations_update": "inventory:write",
        "inventory_levels_list": "inventory:read",
        "inventory_levels_get": "inventory:read",
        "inventory_levels_adjust": "inventory:write",
        "inventory_levels_set": "inventory:write",
        "inventory_adjustments_list": "inventory:read",
    }
    assert {op: walked.get(op) for op in expected} == expected
    # Staff may move stock; read-only members may only look at it.
    assert "inventory:write" in ROLE_SCOPES[StaffRole.STAFF]
    assert "inventory:write" not in ROLE_SCOPES[StaffRole.READ_ONLY]
    assert "inventory:read" in ROLE_SCOPES[StaffRole.READ_ONLY]
