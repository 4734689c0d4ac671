"""The pure totals engine (commerce.pricing.engine): rounding, allocation and a table of totals worked out by
hand. The same rules through the database (quote(): the shop's rates, zones and codes) are in
tests/integration/test_pricing_totals.py."""

from __future__ import annotations

import uuid

import pytest

from commerce.discounts.models import DiscountKind
from commerce.pricing import QuoteLine
from commerce.pricing.engine import (
    DiscountSpec,
    PricingContext,
    ShippingCharge,
    TaxRateSpec,
    allocate,
    compute,
    tax_summary,
)
from commerce.pricing.schemas import QuoteRead
from core.money import divide_half_even

P, Q, R = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
RATE_ID = uuid.uuid4()
VAT20 = (TaxRateSpec("VAT", 2000),)


def line(key: str, unit_price: int, quantity: int = 1, product: uuid.UUID = P) -> QuoteLine:
    return QuoteLine(key, uuid.uuid4(), product, quantity, unit_price, None, True, None)


def context(
    lines: list[QuoteLine],
    rates: tuple[TaxRateSpec, ...] = VAT20,
    *,
    currency: str = "EUR",
    inclusive: bool = False,
    exempt: bool = False,
    shipping: int | None = None,
    discount: DiscountSpec | None = None,
) -> PricingContext:
    return PricingContext(
        currency=currency,
        prices_include_tax=inclusive,
        tax_exempt=exempt,
        line_rates={item.key: rates for item in lines},
        shipping=ShippingCharge(RATE_ID, "Standard", shipping, None) if shipping is not None else None,
        shipping_rates=rates,
        discount=discount,
    )


def discount(
    kind: DiscountKind, *, bps: int | None = None, amount: int | None = None, only: set[uuid.UUID] | None = None
) -> DiscountSpec:
    return DiscountSpec(uuid.uuid4(), "CODE", kind, bps, amount, frozenset(only) if only is not None else None)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (25, 10, 2),  # 2.5 -> 2 (the even neighbour is below)
        (35, 10, 4),  # 3.5 -> 4 (the even neighbour is above)
        (26, 10, 3),  # 2.6 -> 3
        (24, 10, 2),  # 2.4 -> 2
        (0, 7, 0),
        (1, 2, 0),  # 0.5 -> 0
        (3, 2, 2),  # 1.5 -> 2
    ],
)
def test_round_half_even(numerator: int, denominator: int, expected: int) -> None:
    assert divide_half_even(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # 100 * 1/3 = 33.33 each: floors 33+33+33 = 99, the leftover unit goes to the first of the equal remainders.
        (100, [1, 1, 1], [34, 33, 33]),
        # 10 over 1:2:3 -> 1.67, 3.33, 5.0: floors 1+3+5 = 9, the largest remainder (0.67, the first) takes 1.
        (10, [1, 2, 3], [2, 3, 5]),
        # Ineligible lines (weight 0) get nothing.
        (7, [0, 5, 0, 5], [0, 4, 0, 3]),
        (0, [3, 4], [0, 0]),
        (5, [0, 0], [0, 0]),
    ],
)
def test_allocation_sums_exactly(total: int, weights: list[int], expected: list[int]) -> None:
    parts = allocate(total, weights)
    assert parts == expected
    assert sum(parts) == (total if any(weights) else 0)


def test_exclusive_prices_add_tax_per_line_and_on_shipping() -> None:
    lines = [line("a", 1000, 2), line("b", 250)]
    quote = compute(lines, context(lines, shipping=500))
    # a: 2 x 10.00 = 20.00, VAT 20% = 4.00; b: 2.50, VAT 0.50; shipping 5.00, VAT 1.00.
    assert [(item.subtotal, item.tax, item.total) for item in quote.lines] == [(2000, 400, 2400), (250, 50, 300)]
    assert quote.shipping is not None
    assert (quote.shipping.tax, quote.shipping.total) == (100, 600)
    # total = subtotal 22.50 - discount 0 + shipping 5.00 + tax 5.50 = 33.00
    assert (quote.subtotal, quote.discount_total, quote.shipping_total, quote.tax_total, quote.total) == (
        2250,
        0,
        500,
        550,
        3300,
    )


def test_inclusive_prices_contain_the_tax() -> None:
    lines = [line("a", 1200)]
    quote = compute(lines, context(lines, inclusive=True, shipping=600))
    # 12.00 incl. 20%: tax = 1200 * 2000 / 12000 = 200; shipping 6.00 contains 600 * 2000 / 12000 = 100.
    assert (quote.lines[0].tax, quote.lines[0].total) == (200, 1200)
    # total = subtotal 12.00 - 0 + shipping 6.00 = 18.00 (the 3.00 of tax is inside)
    assert (quote.tax_total, quote.total) == (300, 1800)


def test_an_exempt_customer_pays_no_tax() -> None:
    lines = [line("a", 1000)]
    exclusive = compute(lines, context(lines, exempt=True, shipping=500))
    # No tax added: 10.00 + 5.00.
    assert (exclusive.tax_total, exclusive.total, exclusive.lines[0].tax_lines) == (0, 1500, ())
    inclusive = compute([line("a", 1200)], context([line("a", 1200)], inclusive=True, exempt=True, shipping=600))
    # Inclusive: the contained tax is removed: 12.00 - 2.00 = 10.00; shipping 6.00 - 1.00 = 5.00.
    assert (inclusive.tax_total, inclusive.lines[0].total, inclusive.total) == (0, 1000, 1500)


def test_a_free_shipping_code_zeroes_the_shipping_and_its_tax() -> None:
    lines = [line("a", 1000)]
    quote = compute(lines, context(lines, shipping=500, discount=discount(DiscountKind.FREE_SHIPPING)))
    assert quote.shipping is not None
    assert (quote.shipping.amount, quote.shipping.discount, quote.shipping.tax, quote.shipping.total) == (
        500,
        500,
        0,
        0,
    )
    # total = 10.00 - 5.00 (the shipping discount) + 5.00 + VAT 2.00 on the line = 12.00
    assert (quote.discount_total, quote.shipping_total, quote.tax_total, quote.total) == (500, 500, 200, 1200)
    assert quote.discount is not None
    assert (quote.discount.kind, quote.discount.amount) == ("free_shipping", 500)


def test_a_percentage_discount_is_allocated_pro_rata_and_taxed_after() -> None:
    lines = [line("a", 1000, 3), line("b", 2500, product=Q)]
    quote = compute(lines, context(lines, discount=discount(DiscountKind.PERCENTAGE, bps=1000)))
    # 10% of 55.00 = 5.50, allocated 30:25 -> 3.00 and 2.50; VAT on 27.00 = 5.40 and on 22.50 = 4.50.
    assert [(item.discount, item.tax, item.total) for item in quote.lines] == [(300, 540, 3240), (250, 450, 2700)]
    assert (quote.discount_total, quote.tax_total, quote.total) == (550, 990, 5940)


def test_a_fixed_discount_restricted_to_a_product_touches_only_its_lines() -> None:
    lines = [line("a", 3000), line("b", 2500, product=Q)]
    quote = compute(lines, context(lines, discount=discount(DiscountKind.FIXED_AMOUNT, amount=1000, only={P})))
    # a: 30.00 - 10.00 = 20.00, VAT 4.00; b untouched: VAT 5.00.
    assert [(item.discount, item.tax) for item in quote.lines] == [(1000, 400), (0, 500)]
    # total = 55.00 - 10.00 + 9.00 = 54.00
    assert quote.total == 5400


def test_a_fixed_discount_never_exceeds_what_it_discounts() -> None:
    lines = [line("a", 700)]
    quote = compute(lines, context(lines, discount=discount(DiscountKind.FIXED_AMOUNT, amount=1000)))
    assert (quote.discount_total, quote.tax_total, quote.total) == (700, 0, 0)


def test_multi_line_allocation_sums_exactly_to_the_order_discount() -> None:
    lines = [line("a", 100), line("b", 100, product=Q), line("c", 100, product=R)]
    quote = compute(lines, context(lines, (), discount=discount(DiscountKind.FIXED_AMOUNT, amount=100)))
    # 1.00 over three equal lines: 0.34 + 0.33 + 0.33 = 1.00 (never 0.99).
    assert [item.discount for item in quote.lines] == [34, 33, 33]
    assert quote.discount_total == 100
    assert quote.total == 200


@pytest.mark.parametrize(
    ("unit_price", "expected_tax"),
    [
        (25, 2),  # 0.25 * 10% = 2.5 minor units -> 2 (round half to even, down)
        (35, 4),  # 0.35 * 10% = 3.5 -> 4 (round half to even, up)
        (45, 4),  # 4.5 -> 4
        (55, 6),  # 5.5 -> 6
    ],
)
def test_tax_ties_round_half_even(unit_price: int, expected_tax: int) -> None:
    lines = [line("a", unit_price)]
    quote = compute(lines, context(lines, (TaxRateSpec("VAT", 1000),)))
    assert quote.lines[0].tax == expected_tax


def test_zero_decimal_and_three_decimal_currencies() -> None:
    yen = [line("a", 1000, 3)]
    # JPY has no minor unit: 3 x 1,000 yen = 3,000; 10% consumption tax = 300 yen.
    assert compute(yen, context(yen, (TaxRateSpec("JCT", 1000),), currency="JPY")).total == 3300
    dinar = [line("a", 1250)]
    # KWD has three decimals: 1.250 KWD at 5% = 62.5 fils -> 62 (half-even); total 1.312 KWD.
    quote = compute(dinar, context(dinar, (TaxRateSpec("VAT", 500),), currency="KWD"))
    assert (quote.tax_total, quote.total) == (62, 1312)


def test_a_subdivision_rate_adds_to_the_country_rate() -> None:
    rates = (TaxRateSpec("GST", 500), TaxRateSpec("PST", 700))
    lines = [line("a", 1000)]
    exclusive = compute(lines, context(lines, rates, currency="CAD"))
    # 10.00 CAD: GST 5% = 0.50, PST 7% = 0.70, one tax line each.
    assert [(tax.name, tax.amount) for tax in exclusive.lines[0].tax_lines] == [("GST", 50), ("PST", 70)]
    assert exclusive.total == 1120
    inclusive_lines = [line("a", 1120)]
    inclusive = compute(inclusive_lines, context(inclusive_lines, rates, currency="CAD", inclusive=True))
    # 11.20 contains 12%: GST = 1120 * 500 / 11200 = 50, PST = 1120 * 700 / 11200 = 70.
    assert [tax.amount for tax in inclusive.lines[0].tax_lines] == [50, 70]
    assert inclusive.total == 1120


def test_the_tax_summary_sums_per_rate_over_lines_and_shipping() -> None:
    rates = (TaxRateSpec("GST", 500), TaxRateSpec("PST", 700))
    lines = [line("a", 1000), line("b", 2000)]
    quote = compute(lines, context(lines, rates, currency="CAD", shipping=500))
    # GST: 50 + 100 + 25 (shipping) = 175; PST: 70 + 140 + 35 = 245.
    assert [(tax.name, tax.amount) for tax in tax_summary(quote)] == [("GST", 175), ("PST", 245)]
    assert sum(tax.amount for tax in tax_summary(quote)) == quote.tax_total


def test_a_quote_reads_as_json_through_its_schema() -> None:
    lines = [line("a", 1000)]
    quote = compute(lines, context(lines, shipping=500, discount=discount(DiscountKind.FREE_SHIPPING)))
    shown = QuoteRead.model_validate(quote).model_dump(mode="json")
    assert shown["lines"][0] == {
        "key": "a",
        "unit_price": 1000,
        "quantity": 1,
        "subtotal": 1000,
        "discount": 0,
        "tax_lines": [{"name": "VAT", "rate_bps": 2000, "amount": 200}],
        "tax": 200,
        "total": 1200,
    }
    assert (shown["shipping"]["total"], shown["discount"]["kind"], shown["total"]) == (0, "free_shipping", 1200)
