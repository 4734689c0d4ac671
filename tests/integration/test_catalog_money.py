"""Prices through the admin API: JPY, EUR and KWD round trip exactly; floats and unknown currencies are 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.money import MAX_MAJOR_UNITS
from tests.fixtures.catalog import product_body
from tests.fixtures.tenants import TenantHandle


def _one_variant(*prices: dict[str, Any]) -> dict[str, Any]:
    return product_body(options=[], variants=[{"prices": list(prices)}])


async def test_jpy_eur_kwd_round_trip_exactly(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    prices = [
        {"amount": 1500, "currency": "KWD", "compare_at_amount": 1750},
        {"amount": 1999, "currency": "EUR", "compare_at_amount": None},
        {"amount": 2500, "currency": "JPY", "compare_at_amount": None},
        {"amount": MAX_MAJOR_UNITS * 100 - 1, "currency": "USD", "compare_at_amount": None},
    ]
    created = await client.post("/admin/v1/products", json=_one_variant(*prices), headers=tenant_a.headers)
    assert created.status_code == 201, created.text
    read = await client.get(f"/admin/v1/products/{created.json()['id']}", headers=tenant_a.headers)
    assert read.json()["variants"][0]["prices"] == sorted(prices, key=lambda price: str(price["currency"]))


@pytest.mark.parametrize(
    ("price", "field"),
    [
        ({"amount": 19.99, "currency": "EUR"}, "amount"),
        ({"amount": 20.0, "currency": "EUR"}, "amount"),
        ({"amount": "1999", "currency": "EUR"}, "amount"),
        ({"amount": 100, "currency": "XYZ"}, "currency"),
        ({"amount": 100, "currency": "eur"}, "currency"),
        ({"amount": MAX_MAJOR_UNITS, "currency": "JPY"}, "amount"),
        ({"amount": -1, "currency": "EUR"}, "amount"),
        ({"amount": 100, "currency": "EUR", "compare_at_amount": 1.5}, "compare_at_amount"),
    ],
)
async def test_bad_money_is_422_naming_the_field(
    client: httpx.AsyncClient, tenant_a: TenantHandle, price: dict[str, Any], field: str
) -> None:
    response = await client.post("/admin/v1/products", json=_one_variant(price), headers=tenant_a.headers)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "variants", 0, "prices", 0, field]]


async def test_one_price_per_currency(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    twice = _one_variant({"amount": 1, "currency": "EUR"}, {"amount": 2, "currency": "EUR"})
    response = await client.post("/admin/v1/products", json=twice, headers=tenant_a.headers)
    assert response.status_code == 422
    assert "appears twice" in response.text
