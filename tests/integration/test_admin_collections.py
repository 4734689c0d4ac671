"""Admin collections: CRUD, ordered membership, If-Match, and the tenant boundary."""

from __future__ import annotations

import httpx

from tests.fixtures.catalog import MakeCollection, MakeProduct
from tests.fixtures.tenants import TenantHandle


async def _members(client: httpx.AsyncClient, tenant: TenantHandle, collection_id: str) -> list[str]:
    response = await client.get(f"/admin/v1/collections/{collection_id}/products", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [product["title"] for product in response.json()["data"]]


async def test_membership_keeps_the_merchants_order(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct, make_collection: MakeCollection
) -> None:
    a, b, c = [await make_product(tenant_a, title=title) for title in ("A", "B", "C")]
    collection = await make_collection(tenant_a, title="Summer Sale", product_ids=[b["id"], a["id"]])
    assert (collection["handle"], collection["products_count"], collection["version"]) == ("summer-sale", 2, 2)
    url = f"/admin/v1/collections/{collection['id']}"
    assert await _members(client, tenant_a, collection["id"]) == ["B", "A"]

    first = await client.post(
        f"{url}/products", json={"product_ids": [c["id"]], "position": 1}, headers=tenant_a.headers
    )
    assert first.json()["products_count"] == 3
    assert await _members(client, tenant_a, collection["id"]) == ["C", "B", "A"]
    moved = await client.post(f"{url}/products", json={"product_ids": [c["id"]]}, headers=tenant_a.headers)
    assert moved.json()["products_count"] == 3
    assert await _members(client, tenant_a, collection["id"]) == ["B", "A", "C"]

    stale = await client.put(
        f"{url}/products", json={"product_ids": [a["id"]]}, headers={**tenant_a.headers, "if-match": '"2"'}
    )
    assert stale.status_code == 412
    replaced = await client.put(f"{url}/products", json={"product_ids": [a["id"], b["id"]]}, headers=tenant_a.headers)
    assert replaced.status_code == 200
    assert await _members(client, tenant_a, collection["id"]) == ["A", "B"]
    removed = await client.delete(f"{url}/products/{a['id']}", headers=tenant_a.headers)
    assert removed.json()["products_count"] == 1
    not_member = await client.delete(f"{url}/products/{a['id']}", headers=tenant_a.headers)
    assert (not_member.status_code, not_member.json()["code"]) == (404, "product_not_in_collection")

    in_collection = await client.get(
        "/admin/v1/products", params={"collection_id": collection["id"]}, headers=tenant_a.headers
    )
    assert [product["title"] for product in in_collection.json()["data"]] == ["B"]
    await client.delete(f"/admin/v1/products/{b['id']}", headers=tenant_a.headers)  # leaves the collection too
    assert await _members(client, tenant_a, collection["id"]) == []


async def test_collection_crud_and_handles(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    created = await client.post(
        "/admin/v1/collections", json={"title": "New In", "description": "Fresh"}, headers=tenant_a.headers
    )
    assert created.status_code == 201, created.text
    url = f"/admin/v1/collections/{created.json()['id']}"
    renamed = await client.patch(
        url, json={"title": "Just In", "handle": "just-in"}, headers={**tenant_a.headers, "if-match": '"1"'}
    )
    assert (renamed.status_code, renamed.json()["handle"], renamed.json()["version"]) == (200, "just-in", 2)
    taken = await client.post(
        "/admin/v1/collections", json={"title": "x", "handle": "just-in"}, headers=tenant_a.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "handle_already_exists")
    listed = await client.get("/admin/v1/collections", headers=tenant_a.headers)
    assert [item["handle"] for item in listed.json()["data"]] == ["just-in"]
    assert (await client.delete(url, headers=tenant_a.headers)).status_code == 204
    assert (await client.get(url, headers=tenant_a.headers)).json()["code"] == "collection_not_found"


async def test_unknown_products_are_refused(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_product: MakeProduct,
    make_collection: MakeCollection,
) -> None:
    collection = await make_collection(tenant_a)
    foreign = await make_product(tenant_b)
    response = await client.post(
        f"/admin/v1/collections/{collection['id']}/products",
        json={"product_ids": [foreign["id"]]},
        headers=tenant_a.headers,
    )
    assert (response.status_code, response.json()["code"]) == (422, "unknown_products")
    assert response.json()["product_ids"] == [foreign["id"]]


async def test_another_tenants_collection_is_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_collection: MakeCollection
) -> None:
    collection = await make_collection(tenant_b)
    url = f"/admin/v1/collections/{collection['id']}"
    for method, path, body in (
        ("GET", url, None),
        ("PATCH", url, {"title": "x"}),
        ("DELETE", url, None),
        ("GET", f"{url}/products", None),
        ("PUT", f"{url}/products", {"product_ids": []}),
    ):
        response = await client.request(method, path, json=body, headers=tenant_a.headers)
        assert (response.status_code, response.json()["code"]) == (404, "collection_not_found"), (method, path)
    assert (await client.get("/admin/v1/collections", headers=tenant_a.headers)).json()["data"] == []
