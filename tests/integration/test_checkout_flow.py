"""Checkout end to end over real HTTP, the real SDK against the Stripe fake: cart -> PaymentIntent -> paid ->
confirm -> one order; the refusals before payment; JPY and KWD amounts and the plan's fee."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from billing.fees import application_fee
from core.db import Database
from core.settings import Settings
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.checkout import Shop, count, level_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_paid_cart_becomes_one_order(shop: Shop, stripe_fake: FakeStripe, database: Database) -> None:
    variant = await shop.variant(stock=5)
    cart = await shop.cart(variant, quantity=2)
    started = await cart.checkout()
    assert started.status_code == 200, started.text
    checkout = started.json()
    intent = checkout["payment_intent"]
    assert checkout["amount"] == 3998
    assert intent["client_secret"].startswith(intent["id"])
    assert intent["stripe_account"] == shop.tenant.account_id
    assert await level_of(database, shop, variant) == (5, 0, 2)  # held while the shopper pays

    not_yet = await cart.confirm()
    assert not_yet.status_code == 409
    assert not_yet.json()["code"] == "payment_not_completed"

    stripe_fake.pay(intent["id"])
    confirmed = await cart.confirm()
    assert confirmed.status_code == 200, confirmed.text
    order = confirmed.json()["order"]
    assert order["number"] >= 1001
    assert confirmed.json()["status"] == "completed"
    assert await level_of(database, shop, variant) == (5, 2, 0)
    again = await cart.confirm()
    assert again.json()["order"] == order
    assert await count(database, shop, "SELECT count(*) FROM orders WHERE cart_id = :c", c=cart.id) == 1
    closed = await shop.http.post(f"{cart.path}/lines", json={"variant_id": variant}, headers=cart.headers)
    assert closed.status_code == 409
    assert closed.json()["code"] == "cart_closed"


async def test_posting_checkout_again_returns_the_same_intent_until_the_cart_changes(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    variant = await shop.variant(stock=5)
    cart = await shop.cart(variant)
    first = (await cart.checkout()).json()
    second = (await cart.checkout()).json()
    assert second["id"] == first["id"]
    assert second["payment_intent"]["id"] == first["payment_intent"]["id"]
    changed = await shop.http.patch(
        f"{cart.path}/lines/{(await shop.http.get(cart.path, headers=cart.headers)).json()['lines'][0]['id']}",
        json={"quantity": 3},
        headers=cart.headers,
    )
    assert changed.status_code == 200
    third = (await cart.checkout()).json()
    assert third["payment_intent"]["id"] != first["payment_intent"]["id"]
    assert third["amount"] == 3 * 1999
    assert stripe_fake.payment_intent(first["payment_intent"]["id"])["status"] == "canceled"
    assert await level_of(database, shop, variant) == (5, 0, 3)  # the old hold went back, the new one is held


@pytest.mark.parametrize(("currency", "price"), [("JPY", 2500), ("KWD", 12345)])
async def test_zero_and_three_decimal_amounts_reach_stripe_unchanged_with_the_plans_fee(
    shop: Shop, stripe_fake: FakeStripe, billing_settings: Settings, currency: str, price: int
) -> None:
    variant = await shop.variant(stock=None, prices={currency: price})
    cart = await shop.cart(variant, quantity=3, currency=currency)
    response = await cart.checkout()
    assert response.status_code == 200, response.text
    sent = stripe_fake.requests_to("POST", "/v1/payment_intents")
    [request] = [r for r in sent if r.params.get("metadata", {}).get("cart_id") == cart.id]
    fee = application_fee(billing_settings.stripe, "standard", 3 * price, currency)
    assert request.params["amount"] == str(3 * price)
    assert request.params["currency"] == currency.lower()
    assert request.params["application_fee_amount"] == str(fee)
    assert request.stripe_account == shop.tenant.account_id
    assert request.params["metadata"]["checkout_id"] == response.json()["id"]


async def test_a_shop_that_cannot_charge_gets_a_problem_and_no_intent(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    variant = await shop.variant(stock=1)
    cart = await shop.cart(variant)
    before = stripe_fake.intents_created()
    async with database.public_session() as db:
        await db.execute(
            text("UPDATE stripe_accounts SET charges_enabled = false WHERE account_id = :a"),
            {"a": shop.tenant.account_id},
        )
        await db.commit()
    refused = await cart.checkout()
    assert refused.status_code == 409
    assert refused.json()["code"] == "account_cannot_charge"
    assert stripe_fake.intents_created() == before
    assert await level_of(database, shop, variant) == (1, 0, 0)


async def test_checkout_needs_an_idempotency_key_and_a_complete_cart(shop: Shop) -> None:
    variant = await shop.variant(stock=1, requires_shipping=True)
    cart = await shop.cart(variant)
    missing_key = await shop.http.post(f"{cart.path}/checkout", headers=cart.headers)
    assert missing_key.status_code == 400
    assert missing_key.json()["code"] == "idempotency_key_required"
    incomplete = await cart.checkout()
    assert incomplete.status_code == 409
    assert incomplete.json()["code"] == "cart_incomplete"
    assert incomplete.json()["missing"] == ["shipping_address", "shipping_rate"]


async def test_checkout_names_the_lines_that_changed_or_went_away(shop: Shop, database: Database) -> None:
    repriced, archived, scarce = [await shop.variant(stock=5) for _ in range(3)]
    cart = await shop.cart(repriced)
    for variant in (archived, scarce):
        added = await shop.http.post(f"{cart.path}/lines", json={"variant_id": variant}, headers=cart.headers)
        assert added.status_code == 200, added.text
    lines = {line["variant_id"]: line["id"] for line in added.json()["lines"]}
    version = added.json()["version"]

    product_of = shop.products
    archive = await shop.http.patch(f"/admin/v1/products/{product_of[archived]}", json={"status": "archived"},
                                    headers=shop.admin)  # fmt: skip
    assert archive.status_code == 200, archive.text
    unavailable = await cart.checkout()
    assert unavailable.status_code == 409
    assert unavailable.json()["code"] == "cart_lines_unavailable"
    assert unavailable.json()["lines"] == [{"line_id": lines[archived], "variant_id": archived, "reason": "not_active"}]
    removed = await shop.http.delete(f"{cart.path}/lines/{lines[archived]}", headers=cart.headers)
    assert removed.status_code == 200

    reprice = await shop.http.patch(
        f"/admin/v1/products/{product_of[repriced]}/variants/{repriced}",
        json={"prices": [{"amount": 2500, "currency": "EUR"}]},
        headers=shop.admin,
    )
    assert reprice.status_code == 200, reprice.text
    changed = await cart.checkout()
    assert changed.status_code == 409
    assert changed.json()["code"] == "cart_prices_changed"
    assert changed.json()["lines"] == [
        {
            "line_id": lines[repriced],
            "variant_id": repriced,
            "reason": "price_changed",
            "previous_unit_price": 1999,
            "unit_price": 2500,
        }
    ]
    shown = (await shop.http.get(cart.path, headers=cart.headers)).json()  # the new prices are kept
    assert shown["version"] > version + 1
    assert shown["totals"]["subtotal"] == 2500 + 1999

    taken = await shop.cart(scarce, quantity=5)
    assert (await taken.checkout()).status_code == 200  # someone else holds every unit of the scarce line
    short = await cart.checkout()
    assert short.status_code == 409
    assert short.json()["code"] == "out_of_stock"
    assert short.json()["lines"] == [{"line_id": lines[scarce], "variant_id": scarce}]
    assert await level_of(database, shop, repriced) == (5, 0, 0)  # nothing of the refused checkout is held


async def test_a_shipped_and_taxed_cart_becomes_an_order_with_its_snapshot(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    zone = await shop.http.post(
        "/admin/v1/shipping-zones", json={"name": "France", "regions": ["FR"]}, headers=shop.admin
    )
    assert zone.status_code == 201, zone.text
    rate = await shop.http.post(
        f"/admin/v1/shipping-zones/{zone.json()['id']}/rates",
        json={"name": "Colissimo", "prices": [{"amount": 500, "currency": "EUR"}]},
        headers=shop.admin,
    )
    assert rate.status_code == 201, rate.text
    vat = await shop.http.post(
        "/admin/v1/tax-rates", json={"country": "FR", "name": "TVA", "rate_bps": 2000}, headers=shop.admin
    )
    assert vat.status_code == 201, vat.text
    variant = await shop.variant(stock=3, requires_shipping=True)
    address = {
        "first_name": "Ada",
        "line1": "1 rue de la Paix",
        "city": "Paris",
        "postal_code": "75002",
        "country": "FR",
    }
    cart = await shop.cart(variant, quantity=2, shipping_address=address, billing_address=address)

    rates = await shop.http.get(f"{cart.path}/shipping-rates", headers=cart.headers)
    assert rates.status_code == 200, rates.text
    [option] = rates.json()["data"]
    assert (option["name"], option["amount"], option["currency"]) == ("Colissimo", 500, "EUR")
    chosen = await shop.http.put(f"{cart.path}/shipping-rate", json={"rate_id": option["id"]}, headers=cart.headers)
    assert chosen.status_code == 200, chosen.text
    totals = chosen.json()["totals"]
    assert totals["subtotal"] == 3998
    assert totals["shipping_total"] == 500
    assert totals["tax_total"] > 0
    assert totals["total"] == 3998 + 500 + totals["tax_total"]  # prices exclude tax by default

    started = await cart.checkout()
    assert started.status_code == 200, started.text
    assert started.json()["amount"] == totals["total"]
    stripe_fake.pay(started.json()["payment_intent"]["id"])
    confirmed = await cart.confirm()
    assert confirmed.status_code == 200, confirmed.text
    async with database.scoped_session(shop.tenant.handle.schema_name) as db:
        order = (
            await db.execute(
                text(
                    "SELECT total, tax_total, shipping_total, shipping_line, shipping_address, tax_lines FROM orders "
                    "WHERE cart_id = :c"
                ),
                {"c": cart.id},
            )
        ).one()
        lines = (await db.execute(text("SELECT quantity, unit_price, tax_lines FROM order_lines "
                                       "WHERE order_id = (SELECT id FROM orders WHERE cart_id = :c)"), {"c": cart.id})).all()  # fmt: skip
    assert (order.total, order.tax_total, order.shipping_total) == (
        totals["total"],
        totals["tax_total"],
        totals["shipping_total"],
    )
    assert order.shipping_line["name"] == "Colissimo"
    assert order.shipping_address["city"] == "Paris"
    assert [tax["name"] for tax in order.tax_lines] == ["TVA"]
    assert sum(tax["amount"] for tax in order.tax_lines) == totals["tax_total"]
    assert [(line.quantity, line.unit_price) for line in lines] == [(2, 1999)]
    assert lines[0].tax_lines[0]["rate_bps"] == 2000


async def test_a_superseded_intent_paid_all_the_same_is_the_order_and_the_newer_one_is_refunded(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    variant = await shop.variant(stock=5)
    cart = await shop.cart(variant)
    old = (await cart.checkout()).json()
    line = (await shop.http.get(cart.path, headers=cart.headers)).json()["lines"][0]["id"]
    assert (await shop.http.patch(f"{cart.path}/lines/{line}", json={"quantity": 2}, headers=cart.headers)).is_success
    stripe_fake.fail_next(f"/v1/payment_intents/{old['payment_intent']['id']}/cancel")  # the old intent stays payable
    new = (await cart.checkout()).json()
    assert new["payment_intent"]["id"] != old["payment_intent"]["id"]
    assert await level_of(database, shop, variant) == (5, 0, 2)  # only the new checkout holds stock

    stripe_fake.pay(old["payment_intent"]["id"])  # the shopper's other tab paid the old amount
    first = await shop.http.post(f"{cart.path}/checkout/confirm", json={"checkout_id": old["id"]}, headers=cart.headers)
    assert first.status_code == 200, first.text
    assert first.json()["amount"] == 1999  # the order is what was paid for: the old version
    assert await level_of(database, shop, variant) == (5, 1, 0)  # the new checkout let go of its hold

    stripe_fake.pay(new["payment_intent"]["id"])
    second = await shop.http.post(
        f"{cart.path}/checkout/confirm", json={"checkout_id": new["id"]}, headers=cart.headers
    )
    assert second.status_code == 409
    assert (second.json()["code"], second.json()["reason"]) == ("checkout_refunded", "cart_already_ordered")
    assert await count(database, shop, "SELECT count(*) FROM orders WHERE cart_id = :c", c=cart.id) == 1
    [refund] = [r for r in stripe_fake.state.refunds.values() if r["payment_intent"] == new["payment_intent"]["id"]]
    assert refund["amount"] == 2 * 1999
