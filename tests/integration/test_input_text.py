"""No input string may carry NUL or another control character into the product (PostgreSQL text cannot hold NUL).

The walk covers every operation of the served OpenAPI document: each string field of a JSON or form body, each
string query and path parameter, sent with a NUL byte and the credential the surface needs, must be a 422
``invalid_input`` naming that field. The OAuth server's own forms and queries (not described field by field in
OpenAPI) are walked from an explicit list.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from core.validation import Text, control_character
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.http import asgi_client
from tests.fixtures.oauth import Browser, RegisterClient, origin, shopper_token
from tests.fixtures.tenants import TenantHandle

NUL = "x\x00y"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Probe:
    """One request of the walk: ``field`` of operation ``operation`` carries NUL."""

    operation: str
    method: str
    path: str
    where: str  # body, form, query or path
    field: str
    params: dict[str, str]
    body: Any


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _variants(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, components)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return [v for option in options for v in _variants(option, components)]
    return [schema]


def _is_free_string(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A string whose value the client chooses (enums and uuids are checked by their own types)."""
    return any(
        v.get("type") == "string" and "enum" not in v and v.get("format") not in ("uuid", "date-time")
        for v in _variants(schema, components)
    )


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """Some value of the schema's type: the other fields' validity does not matter, pydantic reports every field."""
    for variant in _variants(schema, components):
        kind = variant.get("type")
        if "enum" in variant:
            return variant["enum"][0]
        if kind == "string":
            return str(uuid.uuid4()) if variant.get("format") == "uuid" else "sample"
        if kind == "integer":
            return 1
        if kind == "boolean":
            return False
        if kind == "array":
            return [_sample(variant.get("items", {}), components)]
        if kind == "object":
            return {}
    return None


def _string_fields(schema: dict[str, Any], components: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """(property name, is it a list of strings) for each free string property of an object body."""
    for name, prop in _resolve(schema, components).get("properties", {}).items():
        if _is_free_string(prop, components):
            yield name, False
        elif any(
            v.get("type") == "array" and _is_free_string(v.get("items", {}), components)
            for v in _variants(prop, components)
        ):
            yield name, True


def probes(openapi: dict[str, Any]) -> list[Probe]:
    components = openapi.get("components", {}).get("schemas", {})
    found: list[Probe] = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            path_values = {
                p["name"]: (str(uuid.uuid4()) if p["schema"].get("format") == "uuid" else "sample")
                for p in parameters
                if p["in"] == "path"
            }
            for parameter in parameters:
                if parameter["in"] in ("query", "path") and _is_free_string(parameter["schema"], components):
                    values = {**path_values}
                    query: dict[str, str] = {}
                    (values if parameter["in"] == "path" else query)[parameter["name"]] = NUL
                    found.append(
                        Probe(
                            operation["operationId"],
                            method,
                            path.format(**values),
                            parameter["in"],
                            parameter["name"],
                            query,
                            None,
                        )
                    )
            for content_type, content in operation.get("requestBody", {}).get("content", {}).items():
                schema = _resolve(content["schema"], components)
                base = {
                    name: _sample(prop, components)
                    for name, prop in schema.get("properties", {}).items()
                    if name in schema.get("required", [])
                }
                for name, is_list in _string_fields(schema, components):
                    body = {**base, name: [NUL] if is_list else NUL}
                    where = "form" if content_type == FORM else "body"
                    found.append(
                        Probe(operation["operationId"], method, path.format(**path_values), where, name, {}, body)
                    )
    return found


# The OAuth server's browser pages and the authorization request: forms and queries it reads itself.
AUTHORIZE_QUERY = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
]
OAUTH_FORMS = {
    "/oauth/authorize": ["csrf_token", "decision"],
    "/oauth/login": ["csrf_token", "authorize_query", "email", "password"],
    "/oauth/signup": ["csrf_token", "authorize_query", "email", "password", "name"],
    "/oauth/forgot-password": ["csrf_token", "email"],
    "/oauth/password-reset": ["csrf_token", "token", "password"],
    "/oauth/logout": ["csrf_token"],
    "/oauth/end-session": ["csrf_token", "client_id", "post_logout_redirect_uri", "state"],
}
END_SESSION_QUERY = ["client_id", "post_logout_redirect_uri", "state"]


def _named(response: httpx.Response, field: str) -> bool:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    return any(field in [str(part) for part in error["loc"]] for error in response.json().get("errors", []))


def test_text_refuses_control_characters_and_keeps_the_rest() -> None:
    from pydantic import TypeAdapter

    text = TypeAdapter(Text)
    assert text.validate_python("Ada Lovelace — café ☕") == "Ada Lovelace — café ☕"
    for bad in ("a\x00b", "a\nb", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"):
        with pytest.raises(ValueError, match="control characters"):
            text.validate_python(bad)
    assert control_character("line one\nline two", multiline=True) is None
    assert control_character("nul\x00", multiline=True) == "U+0000"


async def test_every_string_field_of_every_operation_refuses_nul(
    app: FastAPI,
    client: httpx.AsyncClient,
    operator: OperatorHandle,
    tenant_a: TenantHandle,
    register_client: RegisterClient,
    browser_for: Callable[[TenantHandle], Browser],
) -> None:
    # The storefront's routes need the shopper's profile, orders, the public catalog or carts: a token with all reaches them.
    shopper = await shopper_token(
        app,
        tenant_a,
        register_client,
        browser_for(tenant_a),
        "customer:profile customer:orders storefront:catalog storefront:carts",
    )
    credentials = {
        "/platform/": operator.headers,
        "/admin/": {"authorization": f"Bearer {tenant_a.token}"},
        "/storefront/": {"authorization": f"Bearer {shopper}"},
    }
    walked = probes((await client.get("/openapi.json")).json())
    failures: list[str] = []
    async with asgi_client(app, origin(tenant_a)) as http:
        for probe in walked:
            headers = next((h for prefix, h in credentials.items() if probe.path.startswith(prefix)), {})
            # Routes that require an Idempotency-Key (refunds, checkout completion) validate the body only with one.
            headers = {**headers, "idempotency-key": str(uuid.uuid4())}
            kwargs: dict[str, Any] = {"params": probe.params, "headers": headers}
            if probe.where == "body":
                kwargs["json"] = probe.body
            elif probe.where == "form":
                kwargs["data"] = probe.body
            path = probe.path.replace("\x00", quote("\x00"))
            response = await http.request(probe.method.upper(), path, **kwargs)
            if response.json().get("code") == "billing_not_configured":
                continue  # the route is off on this deployment (no Stripe key) and reads nothing
            if response.status_code != 422 or not _named(response, probe.field):
                failures.append(
                    f"{probe.operation} {probe.where}.{probe.field}: {response.status_code} {response.text[:200]}"
                )

    assert len(walked) >= 25  # the walk reaches the API's string fields (a broken walk must not pass by finding none)
    assert {p.operation for p in walked} >= {"oauth_token", "oauth_revoke", "oauth_introspect", "tenants_create"}
    assert failures == []


async def test_oauth_forms_and_the_authorization_request_refuse_nul(
    app: FastAPI, tenant_a: TenantHandle, register_client: RegisterClient
) -> None:
    storefront = await register_client(tenant_a, kind="confidential")
    failures: list[str] = []
    async with asgi_client(app, origin(tenant_a)) as http:
        for field in AUTHORIZE_QUERY:
            params = {name: "sample" for name in AUTHORIZE_QUERY} | {field: NUL}
            for method in ("GET", "POST"):
                response = await http.request(method, "/oauth/authorize", params=params)
                if response.status_code != 422 or not _named(response, field):
                    failures.append(f"{method} /oauth/authorize ?{field}: {response.status_code}")
        for field in END_SESSION_QUERY:
            params = {name: "sample" for name in END_SESSION_QUERY} | {field: NUL}
            response = await http.get("/oauth/end-session", params=params)
            if response.status_code != 422 or not _named(response, field):
                failures.append(f"GET /oauth/end-session ?{field}: {response.status_code}")
        for path, fields in OAUTH_FORMS.items():
            for field in fields:
                form = {name: "sample" for name in fields} | {field: NUL}
                response = await http.post(path, data=form)
                if response.status_code != 422 or not _named(response, field):
                    failures.append(f"POST {path} {field}: {response.status_code} {response.text[:200]}")
        # client_id also arrives in a Basic header, which no schema reads: it names no client.
        basic = base64.b64encode(f"{NUL}:{storefront.client_secret}".encode()).decode()
        for path in ("/oauth/token", "/oauth/revoke", "/oauth/introspect"):
            response = await http.post(
                path,
                data={"grant_type": "client_credentials", "token": "x"},
                headers={"authorization": f"Basic {basic}"},
            )
            if response.status_code != 401:
                failures.append(f"POST {path} Basic client_id: {response.status_code} {response.text[:200]}")

    assert failures == []
