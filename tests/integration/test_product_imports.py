"""Bulk import through the API and the real worker: per-row errors with line numbers, atomic rows, idempotency."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
from celery import Celery

from tests.fixtures.catalog import MakeProduct, product_body
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


async def upload(
    client: httpx.AsyncClient, tenant: TenantHandle, content: str, content_type: str, key: str | None = None
) -> httpx.Response:
    headers = {**tenant.headers, "content-type": content_type}
    if key:
        headers["idempotency-key"] = key
    return await client.post("/admin/v1/products/imports", content=content.encode(), headers=headers)


async def finished(client: httpx.AsyncClient, tenant: TenantHandle, import_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        response = await client.get(f"/admin/v1/products/imports/{import_id}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        if response.json()["status"] in ("succeeded", "failed"):
            result: dict[str, Any] = response.json()
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def handles(client: httpx.AsyncClient, tenant: TenantHandle) -> list[str]:
    response = await client.get("/admin/v1/products", params={"limit": 100}, headers=tenant.headers)
    return sorted(product["handle"] for product in response.json()["data"])


async def test_jsonl_import_reports_bad_rows_by_line_and_imports_none_of_them(
    client: httpx.AsyncClient, tenant_a: TenantHandle, celery_worker: Celery
) -> None:
    lines = [
        json.dumps(product_body(handle="good-one", title="Good one")),
        "",
        json.dumps(
            product_body(
                handle="bad-price",
                variants=[{"sku": "BAD-1", "option_values": ["S"], "prices": [{"amount": 19.99, "currency": "EUR"}]}],
            )
        ),
        "{not json",
        json.dumps(product_body(handle="good-one", title="Duplicate handle")),
        json.dumps(product_body(handle="good-two", title="Good two")),
        json.dumps(product_body(handle="bad-option", variants=[{"option_values": ["XXL"]}])),
    ]
    response = await upload(client, tenant_a, "\n".join(lines) + "\n", "application/jsonl")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    result = await finished(client, tenant_a, response.json()["id"])

    assert result["status"] == "succeeded"
    assert (result["total_rows"], result["created_count"], result["failed_count"]) == (6, 2, 4)
    by_line = {(error["line"], error["code"], error["field"]) for error in result["errors"]}
    assert by_line == {
        (3, "invalid_input", "variants.0.prices.0.amount"),
        (4, "invalid_json", None),
        (5, "handle_already_exists", "handle"),
        (7, "invalid_variant_options", "variants.0.option_values"),
    }
    assert await handles(client, tenant_a) == ["good-one", "good-two"]
    bad_sku = await client.get("/admin/v1/products", params={"sku": "BAD-1"}, headers=tenant_a.headers)
    assert bad_sku.json()["data"] == []
    events = await client.get("/admin/v1/events", params={"type": "product.created"}, headers=tenant_a.headers)
    assert sorted(event["data"]["handle"] for event in events.json()["data"]) == ["good-one", "good-two"]
    for event in events.json()["data"]:  # the import's snapshot is exactly what the API shows
        shown = await client.get(f"/admin/v1/products/{event['resource_id']}", headers=tenant_a.headers)
        assert event["data"] == shown.json()


CSV = """handle,title,status,vendor,tags,option1_name,option1_value,sku,price_EUR,price_JPY,compare_at_price_EUR,image_url
tee,Cotton Tee,active,Acme,"summer, cotton",Size,S,TEE-S,1999,2500,2499,https://cdn.example.com/tee.jpg
tee,,,,,,M,TEE-M,1999,2500,,
mug,Mug,active,Acme,,,,MUG-1,900,,,
poster,Poster,active,Acme,,,,POSTER-1,12.50,,,
poster,,,,,,,POSTER-2,1200,,,
"""


async def test_csv_import_groups_variants_by_handle_and_names_the_line_of_a_bad_variant(
    client: httpx.AsyncClient, tenant_a: TenantHandle, celery_worker: Celery
) -> None:
    response = await upload(client, tenant_a, CSV, "text/csv")
    result = await finished(client, tenant_a, response.json()["id"])

    assert (result["total_rows"], result["created_count"], result["failed_count"]) == (3, 2, 1)
    [error] = result["errors"]
    assert (error["line"], error["field"], error["code"]) == (5, "variants.0.prices.0.amount", "invalid_input")
    assert await handles(client, tenant_a) == ["mug", "tee"]
    tee = (await client.get("/admin/v1/products", params={"sku": "TEE-M"}, headers=tenant_a.headers)).json()["data"][0]
    assert tee["tags"] == ["summer", "cotton"]
    searched = await client.get("/admin/v1/products", params={"q": "cott"}, headers=tenant_a.headers)  # by tag
    assert [product["handle"] for product in searched.json()["data"]] == ["tee"]
    by_sku = await client.get("/admin/v1/products", params={"q": "mug-1"}, headers=tenant_a.headers)
    assert [product["handle"] for product in by_sku.json()["data"]] == ["mug"]
    assert tee["options"] == [{"name": "Size", "values": ["S", "M"]}]
    assert [(v["sku"], v["option_values"]) for v in tee["variants"]] == [("TEE-S", ["S"]), ("TEE-M", ["M"])]
    assert tee["variants"][0]["prices"] == [
        {"amount": 1999, "currency": "EUR", "compare_at_amount": 2499},
        {"amount": 2500, "currency": "JPY", "compare_at_amount": None},
    ]
    assert tee["media"][0]["url"] == "https://cdn.example.com/tee.jpg"


async def test_same_key_same_file_is_the_same_import_and_a_different_file_is_refused(
    client: httpx.AsyncClient, tenant_a: TenantHandle, celery_worker: Celery
) -> None:
    content = json.dumps(product_body(handle="once")) + "\n"
    first = await upload(client, tenant_a, content, "application/jsonl", key="upload-1")
    await finished(client, tenant_a, first.json()["id"])
    again = await upload(client, tenant_a, content, "application/jsonl", key="upload-1")
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    # Within the API's replay window the retry is the first answer, replayed (docs/api.md#idempotency)
    assert (again.content, again.headers["idempotent-replayed"]) == (first.content, "true")
    other = await upload(client, tenant_a, content + content, "application/jsonl", key="upload-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert await handles(client, tenant_a) == ["once"]


async def test_an_unusable_file_fails_the_import_with_a_reason(
    client: httpx.AsyncClient, tenant_a: TenantHandle, celery_worker: Celery
) -> None:
    response = await upload(client, tenant_a, "name,price\nx,1\n", "text/csv")
    result = await finished(client, tenant_a, response.json()["id"])
    assert result["status"] == "failed"
    assert "handle" in result["failure"]
    empty = await upload(client, tenant_a, "  \n", "text/csv")
    assert (empty.status_code, empty.json()["code"]) == (422, "import_file_invalid")
    unknown = await upload(client, tenant_a, "x", "application/pdf")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "import_file_invalid")


async def test_another_tenants_import_is_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, celery_worker: Celery
) -> None:
    response = await upload(client, tenant_b, json.dumps(product_body()) + "\n", "application/jsonl")
    missing = await client.get(f"/admin/v1/products/imports/{response.json()['id']}", headers=tenant_a.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "product_import_not_found")
    await finished(client, tenant_b, response.json()["id"])
    assert await handles(client, tenant_a) == []


async def test_the_documented_example_files_import_cleanly(
    client: httpx.AsyncClient, tenant_a: TenantHandle, celery_worker: Celery
) -> None:
    examples = EXAMPLES
    for name, content_type, created in (
        ("products-import.jsonl", "application/jsonl", 3),
        ("products-import.csv", "text/csv", 2),
    ):
        response = await upload(client, tenant_a, (examples / name).read_text(), content_type, key=name)
        result = await finished(client, tenant_a, response.json()["id"])
        assert (result["status"], result["errors"]) == ("succeeded", []), (name, result)
        assert result["created_count"] == created, name
        # The two files share handles and SKUs: clear the shop before the next one.
        for product in (await client.get("/admin/v1/products", params={"limit": 100}, headers=tenant_a.headers)).json()[
            "data"
        ]:
            await client.delete(f"/admin/v1/products/{product['id']}", headers=tenant_a.headers)


async def test_a_row_with_a_shop_handle_replaces_that_product_matching_variants_by_sku(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct, celery_worker: Celery
) -> None:
    product = await make_product(tenant_a, handle="tee", title="Old tee")
    small, medium = product["variants"]
    other = await make_product(tenant_a, handle="other")
    sizes = [{"name": "Size", "values": ["M", "L"]}]
    rows = [
        product_body(
            handle="tee",
            title="New tee",
            options=sizes,
            variants=[
                {"sku": medium["sku"], "option_values": ["M"], "prices": [{"amount": 2500, "currency": "EUR"}]},
                {"sku": "TEE-L", "option_values": ["L"], "prices": [{"amount": 2500, "currency": "EUR"}]},
            ],
        ),
        product_body(
            handle="other",
            options=[],
            variants=[{"sku": medium["sku"], "prices": []}],  # the tee's SKU: refused
        ),
        product_body(handle="fresh", options=[], variants=[]),
    ]
    response = await upload(client, tenant_a, "\n".join(json.dumps(row) for row in rows) + "\n", "application/jsonl")
    result = await finished(client, tenant_a, response.json()["id"])

    assert (result["created_count"], result["updated_count"], result["failed_count"]) == (1, 1, 1)
    assert [(e["line"], e["code"], e["field"]) for e in result["errors"]] == [
        (2, "sku_already_exists", "variants.0.sku")
    ]
    tee = (await client.get(f"/admin/v1/products/{product['id']}", headers=tenant_a.headers)).json()
    assert (tee["title"], tee["version"], tee["options"]) == ("New tee", 2, sizes)
    assert [(v["sku"], v["option_values"]) for v in tee["variants"]] == [(medium["sku"], ["M"]), ("TEE-L", ["L"])]
    assert tee["variants"][0]["id"] == medium["id"]  # kept: whatever refers to it still does
    assert tee["variants"][0]["prices"] == [{"amount": 2500, "currency": "EUR", "compare_at_amount": None}]
    assert small["sku"] not in json.dumps(tee)
    untouched = (await client.get(f"/admin/v1/products/{other['id']}", headers=tenant_a.headers)).json()
    assert untouched == other
    updates = await client.get(
        "/admin/v1/events", params={"type": "product.updated", "resource_id": product["id"]}, headers=tenant_a.headers
    )
    [event] = updates.json()["data"]
    assert event["data"] == tee


async def test_replacing_a_product_needs_a_sku_on_every_variant_and_leaves_it_untouched_otherwise(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_product: MakeProduct, celery_worker: Celery
) -> None:
    product = await make_product(tenant_a, handle="bare", title="Bare")
    row = product_body(handle="bare", title="Changed", options=[], variants=[{"prices": []}])
    response = await upload(client, tenant_a, json.dumps(row) + "\n", "application/jsonl")
    result = await finished(client, tenant_a, response.json()["id"])
    assert (result["updated_count"], result["failed_count"]) == (0, 1)
    assert [(e["line"], e["code"], e["field"]) for e in result["errors"]] == [
        (1, "invalid_variant_options", "variants.0.sku")
    ]
    assert (await client.get(f"/admin/v1/products/{product['id']}", headers=tenant_a.headers)).json() == product
