"""The merchant's shipping, tax and discount settings through /admin/v1, and which shipping rates a cart sees."""

from __future__ import annotations

import uuid

import httpx
import pytest

from commerce.pricing import Destination, QuoteRequest, ShippingRateUnavailable
from tests.fixtures.pricing import AdminPost, OptionsIn, QuoteIn, line, money
from tests.fixtures.tenants import TenantHandle


async def test_zones_and_rates_crud_with_if_match_and_events(
    client: httpx.AsyncClient, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    zone = await admin_post(tenant_a, "/shipping-zones", {"name": "EU", "regions": ["FR", "DE"]})
    assert (zone["object"], zone["regions"], zone["version"]) == ("shipping_zone", ["FR", "DE"], 1)
    rate = await admin_post(
        tenant_a,
        f"/shipping-zones/{zone['id']}/rates",
        {
            "name": "Standard",
            "prices": money(EUR=500, JPY=800),
            "free_above": money(EUR=5000),
            "min_weight_grams": 0,
            "max_weight_grams": 2000,
            "min_delivery_days": 2,
            "max_delivery_days": 5,
        },
    )
    assert rate["prices"] == [{"amount": 500, "currency": "EUR"}, {"amount": 800, "currency": "JPY"}]
    assert rate["free_above"] == [{"amount": 5000, "currency": "EUR"}]

    path = f"/admin/v1/shipping-zones/{zone['id']}/rates/{rate['id']}"
    stale = await client.patch(path, json={"name": "Slow"}, headers={**tenant_a.headers, "if-match": '"7"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "version_mismatch")
    changed = await client.patch(
        path, json={"name": "Slow", "free_above": None}, headers={**tenant_a.headers, "if-match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["free_above"], changed.headers["etag"]) == ("Slow", [], '"2"')
    backwards = await client.patch(path, json={"min_weight_grams": 5000}, headers=tenant_a.headers)
    assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid_input")

    listed = await client.get(f"/admin/v1/shipping-zones/{zone['id']}/rates", headers=tenant_a.headers)
    assert [item["id"] for item in listed.json()["data"]] == [rate["id"]]
    deleted = await client.delete(f"/admin/v1/shipping-zones/{zone['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 204
    gone = await client.get(path, headers=tenant_a.headers)
    assert (gone.status_code, gone.json()["code"]) == (404, "shipping_rate_not_found")  # with its zone

    events = await client.get("/admin/v1/events", params={"type": "shipping_rate.*"}, headers=tenant_a.headers)
    assert [event["type"] for event in events.json()["data"]] == ["shipping_rate.updated", "shipping_rate.created"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Bad", "regions": ["fr"]},
        {"name": "Bad", "regions": []},
        {"name": "Bad", "regions": ["FR", "FR"]},
        {"name": "Bad", "regions": ["FRA"]},
    ],
)
async def test_bad_zones_are_refused(
    client: httpx.AsyncClient, tenant_a: TenantHandle, body: dict[str, object]
) -> None:
    response = await client.post("/admin/v1/shipping-zones", json=body, headers=tenant_a.headers)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


async def test_rate_bodies_are_validated(
    client: httpx.AsyncClient, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    zone = await admin_post(tenant_a, "/shipping-zones", {"name": "EU", "regions": ["FR"]})
    path = f"/admin/v1/shipping-zones/{zone['id']}/rates"
    for body in (
        {"name": "No price", "prices": []},
        {"name": "Twice", "prices": money(EUR=1) + money(EUR=2)},
        {"name": "Float", "prices": [{"amount": 5.5, "currency": "EUR"}]},
        {"name": "Unknown", "prices": [{"amount": 5, "currency": "XXX"}]},
        {"name": "Range", "prices": money(EUR=5), "min_subtotal": money(EUR=100), "max_subtotal": money(EUR=100)},
    ):
        response = await client.post(path, json=body, headers=tenant_a.headers)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input"), body


async def test_tax_classes_and_rates(client: httpx.AsyncClient, tenant_a: TenantHandle, admin_post: AdminPost) -> None:
    reduced = await admin_post(tenant_a, "/tax-classes", {"code": "reduced", "name": "Reduced"})
    taken = await client.post(
        "/admin/v1/tax-classes", json={"code": "reduced", "name": "Again"}, headers=tenant_a.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "tax_class_code_taken")

    rate = await admin_post(
        tenant_a, "/tax-rates", {"tax_class_id": reduced["id"], "country": "FR", "name": "TVA", "rate_bps": 550}
    )
    twice = await client.post(
        "/admin/v1/tax-rates",
        json={"tax_class_id": reduced["id"], "country": "FR", "name": "TVA", "rate_bps": 700},
        headers=tenant_a.headers,
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "tax_rate_exists")
    standard = await admin_post(tenant_a, "/tax-rates", {"country": "FR", "name": "TVA", "rate_bps": 2000})
    again = await client.post(
        "/admin/v1/tax-rates", json={"country": "FR", "name": "TVA", "rate_bps": 1}, headers=tenant_a.headers
    )
    assert again.status_code == 409  # the standard rate of a place is unique too (nulls not distinct)
    unknown = await client.post(
        "/admin/v1/tax-rates",
        json={"tax_class_id": str(uuid.uuid4()), "country": "FR", "name": "X", "rate_bps": 1},
        headers=tenant_a.headers,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_tax_class")
    for body in ({"country": "FR", "name": "X", "rate_bps": 10001}, {"country": "fr", "name": "X", "rate_bps": 1}):
        refused = await client.post("/admin/v1/tax-rates", json=body, headers=tenant_a.headers)
        assert refused.status_code == 422

    in_use = await client.delete(f"/admin/v1/tax-classes/{reduced['id']}", headers=tenant_a.headers)
    assert (in_use.status_code, in_use.json()["code"]) == (409, "tax_class_in_use")
    updated = await admin_post(tenant_a, f"/tax-rates/{rate['id']}", {"rate_bps": 600}, method="PATCH", status=200)
    assert (updated["rate_bps"], updated["version"]) == (600, 2)
    by_country = await client.get("/admin/v1/tax-rates", params={"country": "FR"}, headers=tenant_a.headers)
    assert {item["id"] for item in by_country.json()["data"]} == {rate["id"], standard["id"]}
    assert (await client.delete(f"/admin/v1/tax-rates/{rate['id']}", headers=tenant_a.headers)).status_code == 204
    assert (await client.delete(f"/admin/v1/tax-classes/{reduced['id']}", headers=tenant_a.headers)).status_code == 204


async def test_discount_codes_are_unique_regardless_of_case_and_shaped_by_kind(
    client: httpx.AsyncClient, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    created = await admin_post(
        tenant_a, "/discounts", {"code": "Summer10", "kind": "percentage", "percentage_bps": 1000}
    )
    assert (created["code"], created["times_used"], created["amounts"]) == ("Summer10", 0, [])
    clash = await client.post(
        "/admin/v1/discounts", json={"code": "SUMMER10", "kind": "free_shipping"}, headers=tenant_a.headers
    )
    assert (clash.status_code, clash.json()["code"]) == (409, "discount_code_taken")
    found = await client.get("/admin/v1/discounts", params={"code": "summer10"}, headers=tenant_a.headers)
    assert [item["id"] for item in found.json()["data"]] == [created["id"]]

    for body in (
        {"code": "A1", "kind": "percentage"},
        {"code": "A2", "kind": "fixed_amount"},
        {"code": "A3", "kind": "free_shipping", "percentage_bps": 10},
        {"code": "A4", "kind": "percentage", "percentage_bps": 10001},
        {"code": "bad code", "kind": "free_shipping"},
        {"code": "A5", "kind": "free_shipping", "starts_at": "2027-01-02T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"},
        {"code": "A6", "kind": "free_shipping", "usage_limit": 0},
    ):
        response = await client.post("/admin/v1/discounts", json=body, headers=tenant_a.headers)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input"), body
    unknown = await client.post(
        "/admin/v1/discounts",
        json={"code": "A7", "kind": "free_shipping", "product_ids": [str(uuid.uuid4())]},
        headers=tenant_a.headers,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_products")

    renamed = await client.patch(
        f"/admin/v1/discounts/{created['id']}",
        json={"code": "WINTER", "usage_limit": 5},
        headers={**tenant_a.headers, "if-match": '"1"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["code"], renamed.json()["usage_limit"], renamed.headers["etag"]) == ("WINTER", 5, '"2"')
    assert (await client.delete(f"/admin/v1/discounts/{created['id']}", headers=tenant_a.headers)).status_code == 204


async def test_another_tenants_settings_are_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, admin_post: AdminPost
) -> None:
    zone = await admin_post(tenant_b, "/shipping-zones", {"name": "B", "regions": ["FR"]})
    tax_class = await admin_post(tenant_b, "/tax-classes", {"code": "b", "name": "B"})
    discount = await admin_post(tenant_b, "/discounts", {"code": "B", "kind": "free_shipping"})
    for path, code in (
        (f"/shipping-zones/{zone['id']}", "shipping_zone_not_found"),
        (f"/tax-classes/{tax_class['id']}", "tax_class_not_found"),
        (f"/discounts/{discount['id']}", "discount_not_found"),
    ):
        response = await client.get(f"/admin/v1{path}", headers=tenant_a.headers)
        assert (response.status_code, response.json()["code"]) == (404, code)


async def test_the_rates_a_cart_sees(
    tenant_a: TenantHandle, admin_post: AdminPost, options_in: OptionsIn, quote_in: QuoteIn
) -> None:
    us = await admin_post(tenant_a, "/shipping-zones", {"name": "US", "regions": ["US"]})
    california = await admin_post(tenant_a, "/shipping-zones", {"name": "California", "regions": ["US-CA"]})
    await admin_post(tenant_a, f"/shipping-zones/{us['id']}/rates", {"name": "US ground", "prices": money(USD=900)})
    light = await admin_post(
        tenant_a,
        f"/shipping-zones/{california['id']}/rates",
        {
            "name": "Light",
            "prices": money(USD=500),
            "max_weight_grams": 1000,
            "free_above": money(USD=10000),
            "min_delivery_days": 1,
            "max_delivery_days": 3,
        },
    )
    await admin_post(
        tenant_a,
        f"/shipping-zones/{california['id']}/rates",
        {"name": "Heavy", "prices": money(USD=1500), "min_weight_grams": 1000},
    )
    await admin_post(
        tenant_a,
        f"/shipping-zones/{california['id']}/rates",
        {"name": "Big orders", "prices": money(USD=0), "min_subtotal": money(USD=20000)},
    )
    await admin_post(
        tenant_a, f"/shipping-zones/{california['id']}/rates", {"name": "Euro only", "prices": money(EUR=1)}
    )

    def cart(*lines: object, destination: Destination | None, rate: str | None = None) -> QuoteRequest:
        chosen = uuid.UUID(rate) if rate else None
        return QuoteRequest("USD", list(lines), destination, chosen, None, None, None)  # type: ignore[arg-type]

    # 2 x 400 g = 800 g (the 1 kg line does not ship: a download): California's light rate only; the
    # country-wide zone is hidden by the more specific one; "Big orders" needs 200.00; "Euro only" has no USD.
    shipped = [line("a", 2000, 2, weight_grams=400), line("d", 100, weight_grams=1000, requires_shipping=False)]
    options = await options_in(tenant_a, cart(*shipped, destination=Destination("US", "CA")))
    assert [(o.name, o.amount, o.delivery_estimate) for o in options] == [("Light", 500, "1-3 days")]
    # 3 x 400 g = 1.2 kg: the heavy rate instead.
    heavier = [line("a", 2000, 3, weight_grams=400)]
    assert [o.name for o in await options_in(tenant_a, cart(*heavier, destination=Destination("US", "CA")))] == [
        "Heavy"
    ]
    # Free above 100.00: 2 x 60.00 = 120.00 makes "Light" cost 0.
    free = await options_in(tenant_a, cart(line("a", 6000, 2, weight_grams=100), destination=Destination("US", "CA")))
    assert [(o.name, o.amount) for o in free] == [("Light", 0)]
    # Another state sees the country-wide zone; no destination or nothing to ship sees nothing.
    assert [o.name for o in await options_in(tenant_a, cart(*shipped, destination=Destination("US", "NY")))] == [
        "US ground"
    ]
    assert await options_in(tenant_a, cart(*shipped, destination=None)) == []
    digital = line("d", 100, requires_shipping=False)
    assert await options_in(tenant_a, cart(digital, destination=Destination("US", "CA"))) == []

    # A chosen rate that no longer fits (the cart got heavier) is a problem, never a silent other price.
    with pytest.raises(ShippingRateUnavailable):
        await quote_in(tenant_a, cart(*heavier, destination=Destination("US", "CA"), rate=light["id"]))
    quote = await quote_in(tenant_a, cart(*shipped, destination=Destination("US", "CA"), rate=light["id"]))
    assert quote.shipping is not None
    assert (quote.shipping.name, quote.shipping.amount, quote.shipping_total) == ("Light", 500, 500)
