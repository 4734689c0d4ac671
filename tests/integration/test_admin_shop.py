"""The merchant's shop settings through /admin/v1/shop."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.tenants import TenantHandle


async def test_owner_reads_and_updates_the_shop_with_if_match(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    shop = await client.get("/admin/v1/shop", headers=tenant_a.headers)
    assert shop.status_code == 200
    assert shop.json() | {"updated_at": None} == {
        "object": "shop",
        "name": tenant_a.name,
        "default_currency": "USD",
        "timezone": "UTC",
        "support_email": tenant_a.owner_email,
        "show_inventory_quantities": False,
        "prices_include_tax": False,
        "version": 1,
        "updated_at": None,
    }
    updated = await client.patch(
        "/admin/v1/shop",
        json={
            "default_currency": "JPY",
            "timezone": "Asia/Tokyo",
            "show_inventory_quantities": True,
            "prices_include_tax": True,
        },
        headers={**tenant_a.headers, "if-match": shop.headers["etag"]},
    )
    assert updated.status_code == 200
    assert updated.json()["default_currency"] == "JPY"
    assert updated.json()["show_inventory_quantities"] is True
    assert updated.json()["prices_include_tax"] is True
    assert updated.json()["version"] == 2
    assert updated.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    "body",
    [
        {"default_currency": "usd"},
        {"default_currency": "DOLLARS"},
        {"timezone": "Mars/Olympus"},
        {"support_email": "not-an-email"},
        {"name": ""},
        {"name": None},
        {"show_inventory_quantities": None},
        {"unknown_field": 1},
    ],
)
async def test_invalid_updates_are_422_problems(
    client: httpx.AsyncClient, tenant_a: TenantHandle, body: dict[str, object]
) -> None:
    response = await client.patch("/admin/v1/shop", json=body, headers=tenant_a.headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_input"


async def test_malformed_if_match_is_a_422(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    response = await client.patch("/admin/v1/shop", json={"name": "x"}, headers={**tenant_a.headers, "if-match": "abc"})
    assert response.status_code == 422


async def test_non_json_body_is_a_422_problem_not_a_500(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    response = await client.patch(
        "/admin/v1/shop", content=b"{not json", headers={**tenant_a.headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


async def test_if_match_with_a_non_ascii_digit_is_a_422_not_a_500(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    # "²" passes str.isdigit() and fails int(); latin-1 on the wire, as a client would send it.
    headers = [(k.encode(), v.encode()) for k, v in tenant_a.headers.items()] + [
        (b"if-match", '"\xb2"'.encode("latin-1"))
    ]
    response = await client.patch("/admin/v1/shop", json={"name": "x"}, headers=headers)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


async def test_if_match_with_thousands_of_digits_is_a_412_not_a_500(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    headers = {**tenant_a.headers, "if-match": '"' + "9" * 4_301 + '"'}
    response = await client.patch("/admin/v1/shop", json={"name": "never saved"}, headers=headers)
    shop = await client.get("/admin/v1/shop", headers=tenant_a.headers)

    assert response.status_code == 412
    assert response.json()["code"] == "version_mismatch"
    assert shop.json()["name"] != "never saved"
