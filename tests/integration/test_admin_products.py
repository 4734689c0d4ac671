"""Admin products and variants: CRUD, uniqueness per tenant, If-Match, filters, sort, pagination, search."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.fixtures.catalog import MakeProduct, product_body
from tests.fixtures.tenants import TenantHandle


async def test_create_read_update_delete(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    created = await client.post(
        "/admin/v1/products",
        json=product_body(title="Blue Shirt", media=[{"url": "https://cdn.example.com/a.jpg", "alt_text": "front"}]),
        headers=tenant_a.headers,
    )
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["handle"] == "blue-shirt"
    assert created.headers["etag"] == '"1"'
    assert [v["title"] for v in product["variants"]] == ["S", "M"]
    assert product["variants"][0]["prices"] == [
        {"amount": 1999, "currency": "EUR", "compare_at_amount": None},
        {"amount": 2500, "currency": "JPY", "compare_at_amount": None},
    ]
    assert product["media"][0]["url"] == "https://cdn.example.com/a.jpg"

    url = f"/admin/v1/products/{product['id']}"
    updated = await client.patch(url, json={"title": "Navy Shirt", "tags": ["new"]}, headers=tenant_a.headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["handle"] == "blue-shirt"  # the handle does not follow the title

    assert (await client.get(url, headers=tenant_a.headers)).json()["title"] == "Navy Shirt"
    assert (await client.delete(url, headers=tenant_a.headers)).status_code == 204
    gone = await client.get(url, headers=tenant_a.headers)
    assert (gone.status_code, gone.json()["code"]) == (404, "product_not_found")


async def test_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    product = await make_product(tenant_a)
    url = f"/admin/v1/products/{product['id']}"
    ok = await client.patch(url, json={"title": "First"}, headers={**tenant_a.headers, "if-match": '"1"'})
    assert ok.status_code == 200
    stale = await client.patch(url, json={"title": "Second"}, headers={**tenant_a.headers, "if-match": '"1"'})
    assert (stale.status_code, stale.json()["code"], stale.json()["current_version"]) == (412, "version_mismatch", 2)
    assert (await client.get(url, headers=tenant_a.headers)).json()["title"] == "First"


async def test_generated_handles_stay_unique(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    handles = [
        (await make_product(tenant_a, title="Crème Brûlée!", variants=[], options=[]))["handle"] for _ in range(3)
    ]
    assert handles == ["creme-brulee", "creme-brulee-2", "creme-brulee-3"]
    taken = await client.post(
        "/admin/v1/products", json=product_body(handle="creme-brulee", variants=[]), headers=tenant_a.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "handle_already_exists")


async def test_sku_and_handle_are_unique_per_tenant_not_across_tenants(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    variants = [{"sku": "SHARED-SKU-1", "prices": [{"amount": 100, "currency": "EUR"}]}]
    body = product_body(handle="shared-handle", options=[], variants=variants)
    assert (await client.post("/admin/v1/products", json=body, headers=tenant_a.headers)).status_code == 201
    assert (await client.post("/admin/v1/products", json=body, headers=tenant_b.headers)).status_code == 201

    again = await client.post(
        "/admin/v1/products", json=product_body(options=[], variants=variants), headers=tenant_a.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "sku_already_exists")
    same_handle = await client.post(
        "/admin/v1/products", json=product_body(handle="shared-handle", variants=[]), headers=tenant_a.headers
    )
    assert (same_handle.status_code, same_handle.json()["code"]) == (409, "handle_already_exists")


async def test_variant_option_rules(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    product = await make_product(tenant_a)
    variants_url = f"/admin/v1/products/{product['id']}/variants"

    duplicate = await client.post(variants_url, json={"option_values": ["S"]}, headers=tenant_a.headers)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "variant_options_taken")
    unknown = await client.post(variants_url, json={"option_values": ["XL"]}, headers=tenant_a.headers)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid_variant_options")
    too_many = await client.post(variants_url, json={"option_values": ["S", "Red"]}, headers=tenant_a.headers)
    assert too_many.status_code == 422

    widened = await client.patch(
        f"/admin/v1/products/{product['id']}",
        json={"options": [{"name": "Size", "values": ["S", "M", "L"]}]},
        headers=tenant_a.headers,
    )
    assert widened.status_code == 200, widened.text
    added = await client.post(
        variants_url,
        json={"option_values": ["L"], "sku": f"{product['handle']}-L", "prices": [{"amount": 5, "currency": "KWD"}]},
        headers=tenant_a.headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["position"] == 3

    narrowed = await client.patch(
        f"/admin/v1/products/{product['id']}",
        json={"options": [{"name": "Size", "values": ["S", "M"]}]},
        headers=tenant_a.headers,
    )
    assert (narrowed.status_code, narrowed.json()["code"]) == (422, "invalid_variant_options")


async def test_variant_update_replaces_prices_and_bumps_its_version(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    product = await make_product(tenant_a)
    variant = product["variants"][0]
    url = f"/admin/v1/products/{product['id']}/variants/{variant['id']}"
    changed = await client.patch(
        url,
        json={
            "prices": [{"amount": 1500, "currency": "EUR", "compare_at_amount": 1999}, {"amount": 5, "currency": "KWD"}]
        },
        headers={**tenant_a.headers, "if-match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert changed.json()["prices"] == [
        {"amount": 1500, "currency": "EUR", "compare_at_amount": 1999},
        {"amount": 5, "currency": "KWD", "compare_at_amount": None},
    ]
    stale = await client.patch(url, json={"barcode": "123"}, headers={**tenant_a.headers, "if-match": '"1"'})
    assert stale.status_code == 412
    assert (await client.delete(url, headers=tenant_a.headers)).status_code == 204
    after = await client.get(f"/admin/v1/products/{product['id']}", headers=tenant_a.headers)
    assert [v["id"] for v in after.json()["variants"]] == [product["variants"][1]["id"]]


async def _list(client: httpx.AsyncClient, tenant: TenantHandle, **params: Any) -> list[str]:
    response = await client.get("/admin/v1/products", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [product["title"] for product in response.json()["data"]]


async def test_filters_and_sorts(client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct) -> None:
    await make_product(tenant_a, title="Banana", vendor="Fruit Co", tags=["yellow"], status="draft")
    cherry = await make_product(tenant_a, title="Cherry", vendor="Fruit Co", tags=["red"])
    apple = await make_product(tenant_a, title="Apple", vendor="Orchard", tags=["red"])

    assert await _list(client, tenant_a, sort="title") == ["Apple", "Banana", "Cherry"]
    assert await _list(client, tenant_a, sort="-title") == ["Cherry", "Banana", "Apple"]
    assert await _list(client, tenant_a) == ["Banana", "Cherry", "Apple"]  # created_at
    assert await _list(client, tenant_a, status="draft") == ["Banana"]
    assert await _list(client, tenant_a, vendor="Fruit Co", sort="title") == ["Banana", "Cherry"]
    assert await _list(client, tenant_a, tag="red", sort="title") == ["Apple", "Cherry"]
    assert await _list(client, tenant_a, sku=cherry["variants"][1]["sku"]) == ["Cherry"]
    touched = await client.patch(
        f"/admin/v1/products/{cherry['id']}", json={"description": "ripe"}, headers=tenant_a.headers
    )
    assert await _list(client, tenant_a, updated_after=apple["updated_at"]) == ["Cherry"]
    assert await _list(client, tenant_a, sort="-updated_at", limit=1) == ["Cherry"]
    assert touched.status_code == 200
    bad = await client.get("/admin/v1/products", params={"sort": "price"}, headers=tenant_a.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


async def test_cursor_pagination_walks_every_product_once(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    for index in range(5):
        await make_product(tenant_a, title=f"Item {index}", variants=[], options=[])
    for sort in ("created_at", "-title", "updated_at"):
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort}
            if cursor:
                params["starting_after"] = cursor
            page = (await client.get("/admin/v1/products", params=params, headers=tenant_a.headers)).json()
            seen += [product["title"] for product in page["data"]]
            if not page["has_more"]:
                break
            cursor = page["data"][-1]["id"]
        assert sorted(seen) == [f"Item {index}" for index in range(5)], sort
    assert seen == [f"Item {index}" for index in range(5)]
    bad = await client.get("/admin/v1/products", params={"starting_after": "nope"}, headers=tenant_a.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")


async def test_search_matches_prefixes_ranks_title_first_and_covers_skus(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct
) -> None:
    await make_product(tenant_a, title="Plain socks", description="Soft and blue as the sky", variants=[], options=[])
    await make_product(tenant_a, title="Blue shirt", variants=[], options=[])
    await make_product(
        tenant_a,
        title="Hat",
        options=[],
        variants=[{"sku": "HAT-ZEBRA-77", "prices": []}],
        tags=["winter"],
    )

    assert await _list(client, tenant_a, q="blu") == ["Blue shirt", "Plain socks"]
    assert await _list(client, tenant_a, q="zebr") == ["Hat"]
    assert await _list(client, tenant_a, q="wint") == ["Hat"]
    assert await _list(client, tenant_a, q="blue shi") == ["Blue shirt"]
    empty = await client.get("/admin/v1/products", params={"q": "!!!"}, headers=tenant_a.headers)
    assert (empty.status_code, empty.json()["code"]) == (422, "invalid_search_query")
    page = (await client.get("/admin/v1/products", params={"q": "blu", "limit": 1}, headers=tenant_a.headers)).json()
    rest = await _list(client, tenant_a, q="blu", starting_after=page["data"][0]["id"])
    assert (page["has_more"], rest) == (True, ["Plain socks"])


async def test_another_tenants_product_is_not_found_and_not_searchable(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_product: MakeProduct
) -> None:
    product = await make_product(tenant_b, title="Secret Walrus")
    url = f"/admin/v1/products/{product['id']}"
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        response = await client.request(method, url, json=body, headers=tenant_a.headers)
        assert (response.status_code, response.json()["code"]) == (404, "product_not_found"), method
    variant_url = f"{url}/variants/{product['variants'][0]['id']}"
    assert (await client.patch(variant_url, json={"barcode": "1"}, headers=tenant_a.headers)).status_code == 404
    assert await _list(client, tenant_a, q="walrus") == []
    assert await _list(client, tenant_a, sku=product["variants"][0]["sku"]) == []
    assert await _list(client, tenant_b, q="walrus") == ["Secret Walrus"]


async def test_control_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    for field, value in (("title", "Shirt\x00"), ("vendor", "Acme\x1b"), ("description", "line\x00")):
        response = await client.post(
            "/admin/v1/products", json=product_body(**{field: value}), headers=tenant_a.headers
        )
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["loc"] == ["body", field]
    multiline = await client.post(
        "/admin/v1/products", json=product_body(description="two\nlines\tok", variants=[]), headers=tenant_a.headers
    )
    assert multiline.status_code == 201


async def test_concurrent_creates_of_one_sku_give_one_product_and_409s_never_500(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    bodies = [product_body(options=[], variants=[{"sku": "RACE-1", "prices": []}]) for _ in range(6)]
    responses = await asyncio.gather(
        *(client.post("/admin/v1/products", json=body, headers=tenant_a.headers) for body in bodies)
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [response.text for response in responses]
    assert {response.json()["code"] for response in responses if response.status_code == 409} == {"sku_already_exists"}
    [winner] = [response.json()["title"] for response in responses if response.status_code == 201]
    assert await _list(client, tenant_a, sku="RACE-1") == [winner]
