"""The tax and totals acceptance table (issue #14): quotes of real shops, set up through the admin API, with
every expected amount worked out by hand in the comments. The engine's own unit table (rounding, allocation)
is tests/unit/test_pricing_engine.py; this one proves the settings reach it: the shop's tax mode, rates by
country, subdivision and class, the shipping rule, zones and codes, an exempt customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from commerce.pricing import Destination, QuoteLine, QuoteRequest
from tests.fixtures.catalog import MakeCollection, MakeProduct
from tests.fixtures.pricing import AdminPost, QuoteIn, line, money
from tests.fixtures.tenants import MakeTenant, TenantHandle

FR = Destination("FR", None)


@dataclass(frozen=True)
class Shop:
    tenant: TenantHandle
    product_a: str
    product_b: str  # in the collection "Sale"
    standard_rate: uuid.UUID  # Europe / Japan / Kuwait: EUR 5.00, JPY 800, KWD 2.500
    discounts: dict[str, str]
    exempt_customer: uuid.UUID


async def _shop(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    admin_post: AdminPost,
    make_product: MakeProduct,
    make_collection: MakeCollection,
    *,
    inclusive: bool,
) -> Shop:
    if inclusive:
        await admin_post(tenant, "/shop", {"prices_include_tax": True}, method="PATCH", status=200)
    reduced = await admin_post(tenant, "/tax-classes", {"code": "reduced", "name": "Reduced rate"})
    for rate in (
        {"country": "FR", "name": "TVA", "rate_bps": 2000},
        {"country": "FR", "name": "TVA réduite", "rate_bps": 550, "tax_class_id": reduced["id"]},
        {"country": "JP", "name": "JCT", "rate_bps": 1000},
        {"country": "KW", "name": "VAT", "rate_bps": 500},
        {"country": "CA", "name": "GST", "rate_bps": 500},
        {"country": "CA", "subdivision": "BC", "name": "PST", "rate_bps": 700},
        {"country": "US", "subdivision": "CA", "name": "CA state tax", "rate_bps": 725},
    ):
        await admin_post(tenant, "/tax-rates", rate)
    zone = await admin_post(
        tenant, "/shipping-zones", {"name": "Most places", "regions": ["FR", "JP", "KW", "CA", "US"]}
    )
    standard = await admin_post(
        tenant, f"/shipping-zones/{zone['id']}/rates", {"name": "Standard", "prices": money(EUR=500, JPY=800, KWD=2500)}
    )
    product_a = (await make_product(tenant))["id"]
    product_b = (await make_product(tenant))["id"]
    sale = await make_collection(tenant, product_ids=[product_b])
    bodies: dict[str, dict[str, Any]] = {
        "PCT10": {"kind": "percentage", "percentage_bps": 1000},
        "SALE5": {"kind": "fixed_amount", "amounts": money(EUR=500), "collection_ids": [sale["id"]]},
        "ONEEURO": {"kind": "fixed_amount", "amounts": money(EUR=100)},
        "SHIPFREE": {"kind": "free_shipping"},
    }
    discounts = {
        code: (await admin_post(tenant, "/discounts", {"code": code, **body}))["id"] for code, body in bodies.items()
    }
    customer = await admin_post(
        tenant, "/customers", {"email": f"b2b-{uuid.uuid4().hex[:6]}@example.com", "tax_exempt": True}
    )
    return Shop(tenant, product_a, product_b, uuid.UUID(standard["id"]), discounts, uuid.UUID(customer["id"]))


@pytest.fixture
async def exclusive(
    client: httpx.AsyncClient,
    make_tenant: MakeTenant,
    admin_post: AdminPost,
    make_product: MakeProduct,
    make_collection: MakeCollection,
) -> Shop:
    return await _shop(client, await make_tenant(), admin_post, make_product, make_collection, inclusive=False)


@pytest.fixture
async def inclusive(
    client: httpx.AsyncClient,
    make_tenant: MakeTenant,
    admin_post: AdminPost,
    make_product: MakeProduct,
    make_collection: MakeCollection,
) -> Shop:
    return await _shop(client, await make_tenant(), admin_post, make_product, make_collection, inclusive=True)


def request(
    lines: list[QuoteLine],
    *,
    currency: str = "EUR",
    destination: Destination | None = FR,
    rate: uuid.UUID | None = None,
    code: str | None = None,
    customer: uuid.UUID | None = None,
) -> QuoteRequest:
    return QuoteRequest(currency, lines, destination, rate, code, customer, None)


def totals(quote: Any) -> tuple[int, int, int, int, int]:
    return (quote.subtotal, quote.discount_total, quote.shipping_total, quote.tax_total, quote.total)


async def test_exclusive_prices_tax_per_line_by_class_and_the_shipping_at_the_standard_rate(
    exclusive: Shop, quote_in: QuoteIn
) -> None:
    quote = await quote_in(
        exclusive.tenant,
        request(
            [line("a", 1000, 2), line("book", 1000, tax_class="reduced"), line("x", 1000, tax_class="unknown")],
            rate=exclusive.standard_rate,
        ),
    )
    # a: 2 x 10.00 = 20.00 at TVA 20% = 4.00; book: 10.00 at 5.5% = 0.55; "unknown" is no class of the shop:
    # standard rate, 2.00. Shipping 5.00: no `shipping` class, so the standard rate: 1.00.
    assert [(item.tax, [(tax.name, tax.rate_bps) for tax in item.tax_lines]) for item in quote.lines] == [
        (400, [("TVA", 2000)]),
        (55, [("TVA réduite", 550)]),
        (200, [("TVA", 2000)]),
    ]
    assert quote.shipping is not None
    assert (quote.shipping.tax, quote.shipping.total) == (100, 600)
    # total = 40.00 - 0 + 5.00 + (4.00 + 0.55 + 2.00 + 1.00) = 52.55
    assert totals(quote) == (4000, 0, 500, 755, 5255)


async def test_a_shipping_tax_class_decides_the_shipping_tax(
    exclusive: Shop, admin_post: AdminPost, quote_in: QuoteIn
) -> None:
    shipping_class = await admin_post(exclusive.tenant, "/tax-classes", {"code": "shipping", "name": "Shipping"})
    await admin_post(
        exclusive.tenant,
        "/tax-rates",
        {"country": "FR", "name": "TVA", "rate_bps": 1000, "tax_class_id": shipping_class["id"]},
    )
    quote = await quote_in(exclusive.tenant, request([line("a", 1000)], rate=exclusive.standard_rate))
    # Shipping 5.00 at the shipping class's 10% = 0.50; the line keeps 20% = 2.00. 10.00 + 5.00 + 2.50 = 17.50
    assert quote.shipping is not None
    assert quote.shipping.tax == 50
    assert totals(quote) == (1000, 0, 500, 250, 1750)


async def test_inclusive_prices_contain_the_tax(inclusive: Shop, quote_in: QuoteIn) -> None:
    quote = await quote_in(inclusive.tenant, request([line("a", 1200)], rate=inclusive.standard_rate))
    # 12.00 incl. 20%: 1200 * 2000 / 12000 = 2.00 inside; shipping 5.00 contains 500 * 2000 / 12000 = 83.33 -> 83.
    assert (quote.lines[0].tax, quote.lines[0].total) == (200, 1200)
    # total = 12.00 - 0 + 5.00 = 17.00, of which 2.83 tax
    assert totals(quote) == (1200, 0, 500, 283, 1700)
    assert quote.prices_include_tax is True


async def test_an_exempt_customer_pays_no_tax(exclusive: Shop, inclusive: Shop, quote_in: QuoteIn) -> None:
    lines = [line("a", 1200)]
    net = await quote_in(
        exclusive.tenant, request(lines, rate=exclusive.standard_rate, customer=exclusive.exempt_customer)
    )
    # Exclusive: nothing added. 12.00 + 5.00 = 17.00
    assert totals(net) == (1200, 0, 500, 0, 1700)
    assert net.tax_exempt is True
    gross = await quote_in(
        inclusive.tenant, request(lines, rate=inclusive.standard_rate, customer=inclusive.exempt_customer)
    )
    # Inclusive: the contained tax comes off. Line 12.00 - 2.00 = 10.00; shipping 5.00 - 0.83 = 4.17; total 14.17.
    assert gross.lines[0].total == 1000
    assert gross.shipping is not None
    assert gross.shipping.total == 417
    assert totals(gross) == (1200, 0, 500, 0, 1417)


async def test_a_free_shipping_code(exclusive: Shop, quote_in: QuoteIn) -> None:
    quote = await quote_in(exclusive.tenant, request([line("a", 1000)], rate=exclusive.standard_rate, code="shipfree"))
    # The code (any case) zeroes the 5.00 shipping and its tax: 10.00 - 5.00 + 5.00 + 2.00 = 12.00
    assert quote.shipping is not None
    assert (quote.shipping.discount, quote.shipping.tax, quote.shipping.total) == (500, 0, 0)
    assert totals(quote) == (1000, 500, 500, 200, 1200)
    assert quote.discount is not None
    assert (quote.discount.code, quote.discount.kind, quote.discount.amount) == ("SHIPFREE", "free_shipping", 500)


async def test_a_percentage_code_on_the_whole_order(exclusive: Shop, quote_in: QuoteIn) -> None:
    lines = [line("a", 1000, 3, product_id=exclusive.product_a), line("b", 2500, product_id=exclusive.product_b)]
    quote = await quote_in(exclusive.tenant, request(lines, code="PCT10"))
    # 10% of 55.00 = 5.50, allocated 30.00 : 25.00 -> 3.00 and 2.50; TVA on 27.00 = 5.40, on 22.50 = 4.50.
    assert [(item.discount, item.tax) for item in quote.lines] == [(300, 540), (250, 450)]
    # total = 55.00 - 5.50 + 9.90 = 59.40
    assert totals(quote) == (5500, 550, 0, 990, 5940)


async def test_a_fixed_code_restricted_to_a_collection(exclusive: Shop, quote_in: QuoteIn) -> None:
    lines = [line("a", 3000, product_id=exclusive.product_a), line("b", 2500, product_id=exclusive.product_b)]
    quote = await quote_in(exclusive.tenant, request(lines, code="SALE5"))
    # Only b is in "Sale": 25.00 - 5.00 = 20.00, TVA 4.00; a untouched, TVA 6.00. 55.00 - 5.00 + 10.00 = 60.00
    assert [(item.discount, item.tax) for item in quote.lines] == [(0, 600), (500, 400)]
    assert totals(quote) == (5500, 500, 0, 1000, 6000)


async def test_pro_rata_allocation_sums_exactly_and_rounds_each_line(exclusive: Shop, quote_in: QuoteIn) -> None:
    lines = [line("a", 100), line("b", 100), line("c", 100)]
    quote = await quote_in(exclusive.tenant, request(lines, code="ONEEURO"))
    # 1.00 over three lines of 1.00: 0.34 + 0.33 + 0.33 (the first takes the leftover cent), never 0.99.
    assert [item.discount for item in quote.lines] == [34, 33, 33]
    # TVA per line on 0.66, 0.67, 0.67: 13.2 -> 13, 13.4 -> 13, 13.4 -> 13 = 0.39. 3.00 - 1.00 + 0.39 = 2.39
    assert [item.tax for item in quote.lines] == [13, 13, 13]
    assert totals(quote) == (300, 100, 0, 39, 239)


@pytest.mark.parametrize(
    ("unit_price", "tax"),
    [
        (25, 2),  # 25 yen at 10% = 2.5 -> 2 (half to even: down)
        (35, 4),  # 35 yen at 10% = 3.5 -> 4 (half to even: up)
    ],
)
async def test_half_even_ties_in_yen(exclusive: Shop, quote_in: QuoteIn, unit_price: int, tax: int) -> None:
    quote = await quote_in(
        exclusive.tenant, request([line("a", unit_price)], currency="JPY", destination=Destination("JP", None))
    )
    assert quote.tax_total == tax


async def test_zero_decimal_yen_and_three_decimal_dinar(exclusive: Shop, quote_in: QuoteIn) -> None:
    yen = await quote_in(
        exclusive.tenant,
        request(
            [line("a", 1000, 3)], currency="JPY", destination=Destination("JP", None), rate=exclusive.standard_rate
        ),
    )
    # 3 x 1,000 yen = 3,000; shipping 800 yen; JCT 10%: 300 + 80. Total 3,000 + 800 + 380 = 4,180 yen.
    assert totals(yen) == (3000, 0, 800, 380, 4180)
    dinar = await quote_in(
        exclusive.tenant,
        request([line("a", 1250)], currency="KWD", destination=Destination("KW", None), rate=exclusive.standard_rate),
    )
    # 1.250 KWD at 5% = 62.5 fils -> 62 (half even); shipping 2.500 at 5% = 125 fils. 1.250 + 2.500 + 0.187 = 3.937
    assert totals(dinar) == (1250, 0, 2500, 187, 3937)


async def test_a_subdivision_rate_adds_to_the_country_rate(exclusive: Shop, quote_in: QuoteIn) -> None:
    lines = [line("a", 1000)]
    bc = await quote_in(exclusive.tenant, request(lines, currency="CAD", destination=Destination("CA", "BC")))
    # British Columbia: GST 5% = 0.50 plus PST 7% = 0.70, two tax lines; 10.00 + 1.20 = 11.20
    assert [(tax.name, tax.amount) for tax in bc.lines[0].tax_lines] == [("GST", 50), ("PST", 70)]
    assert bc.total == 1120
    ontario = await quote_in(exclusive.tenant, request(lines, currency="CAD", destination=Destination("CA", "ON")))
    # Ontario has no rate of its own here: GST only.
    assert ontario.tax_total == 50
    california = await quote_in(exclusive.tenant, request(lines, currency="USD", destination=Destination("US", "CA")))
    # No US country rate, California 7.25%: 72.5 cents -> 72 (half even).
    assert california.tax_total == 72
    nowhere = await quote_in(exclusive.tenant, request(lines, currency="EUR", destination=Destination("DE", None)))
    # No rate for Germany: no tax. Without a destination neither.
    assert nowhere.tax_total == 0
    assert (await quote_in(exclusive.tenant, request(lines, destination=None))).tax_total == 0
