"""The totals engine: a pure function from lines and resolved settings to a ``Quote`` (no I/O, no clock).

The rules (docs/pricing.md says the same for merchants):

* A line's subtotal is ``unit_price * quantity``. The order subtotal is the sum of the lines' subtotals.
* A percentage discount is ``divide_half_even(eligible_subtotal * bps, 10000)``; a fixed amount is the
  discount's amount in the quote currency, capped at the eligible subtotal. The order discount is allocated to
  the eligible lines pro rata to their subtotals by the largest-remainder method (ties to the earlier line), so
  the line discounts always sum exactly to the order discount. A free-shipping discount discounts the shipping
  amount to zero and no line.
* Tax is computed per line, per tax rate, on the line's discounted amount, rounded half-even in minor units:
  exclusive prices add ``divide_half_even(taxable * bps, 10000)``; inclusive prices contain
  ``divide_half_even(taxable * bps, 10000 + total_bps)`` where ``total_bps`` is the sum of the line's rates.
  Shipping is taxed the same way, on the shipping amount after its discount.
* Exclusive prices: ``total = subtotal - discount + shipping + tax``. Inclusive prices: the tax is contained,
  ``total = subtotal - discount + shipping``.
* A tax-exempt customer pays no tax. With inclusive prices the contained tax is removed from what they pay
  (the line's and the shipping's ``total`` are the net amounts), as a VAT-registered business buyer expects.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from commerce.discounts.models import DiscountKind
from commerce.pricing.types import (
    AppliedDiscount,
    LineTotals,
    Quote,
    QuoteLine,
    ShippingTotals,
    TaxLine,
)
from core.money import divide_half_even

BPS = 10_000  # basis points in one whole


@dataclass(frozen=True, slots=True)
class TaxRateSpec:
    """One rate that applies to a line or to shipping at the destination (a country's, a subdivision's)."""

    name: str
    rate_bps: int


@dataclass(frozen=True, slots=True)
class DiscountSpec:
    """A discount already checked to apply (dates, currency, minimum, limits): what the engine needs of it."""

    id: uuid.UUID
    code: str
    kind: DiscountKind
    percentage_bps: int | None  # percentage
    amount: int | None  # fixed_amount, in the quote currency
    eligible_product_ids: frozenset[uuid.UUID] | None  # None: the whole order


@dataclass(frozen=True, slots=True)
class ShippingCharge:
    """The chosen rate's amount for this cart (the free-above threshold already applied)."""

    rate_id: uuid.UUID
    name: str
    amount: int
    delivery_estimate: str | None


@dataclass(frozen=True, slots=True)
class PricingContext:
    currency: str
    prices_include_tax: bool
    tax_exempt: bool
    line_rates: Mapping[str, tuple[TaxRateSpec, ...]]  # by line key; a line without an entry is not taxed
    shipping: ShippingCharge | None
    shipping_rates: tuple[TaxRateSpec, ...]
    discount: DiscountSpec | None


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` pro rata by the largest-remainder method: the parts sum exactly to
    ``total``; leftover units go to the largest remainders, ties to the earlier weight. ``total`` must not exceed
    the sum of the weights (a discount never exceeds what it discounts)."""
    whole = sum(weights)
    if whole == 0:
        return [0 for _ in weights]
    shares = [divmod(total * weight, whole) for weight in weights]
    parts = [share for share, _ in shares]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-shares[index][1], index))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts


def discount_amount(discount: DiscountSpec, eligible_subtotal: int) -> int:
    """The order-level discount on the eligible lines (a free-shipping discount discounts no line)."""
    if discount.kind is DiscountKind.PERCENTAGE:
        return divide_half_even(eligible_subtotal * (discount.percentage_bps or 0), BPS)
    if discount.kind is DiscountKind.FIXED_AMOUNT:
        return min(discount.amount or 0, eligible_subtotal)
    return 0


def is_eligible(line: QuoteLine, discount: DiscountSpec) -> bool:
    return discount.eligible_product_ids is None or line.product_id in discount.eligible_product_ids


def taxes(taxable: int, rates: Sequence[TaxRateSpec], *, inclusive: bool) -> tuple[TaxLine, ...]:
    """The tax lines of one taxable amount: each rate rounded half-even on its own (added or contained)."""
    denominator = BPS + sum(rate.rate_bps for rate in rates) if inclusive else BPS
    return tuple(
        TaxLine(name=rate.name, rate_bps=rate.rate_bps, amount=divide_half_even(taxable * rate.rate_bps, denominator))
        for rate in rates
    )


def _taxed(taxable: int, rates: Sequence[TaxRateSpec], context: PricingContext) -> tuple[tuple[TaxLine, ...], int, int]:
    """(tax lines, tax, total) of a discounted amount under the context's tax mode."""
    tax_lines = taxes(taxable, rates, inclusive=context.prices_include_tax)
    tax = sum(line.amount for line in tax_lines)
    if context.tax_exempt:
        # Exempt: no tax lines; inclusive prices lose the tax they contain.
        return (), 0, taxable - tax if context.prices_include_tax else taxable
    return tax_lines, tax, taxable if context.prices_include_tax else taxable + tax


def compute(lines: Sequence[QuoteLine], context: PricingContext) -> Quote:
    """The totals of ``lines`` under ``context``: see the module docstring for every rule."""
    subtotals = [line.unit_price * line.quantity for line in lines]
    discount = context.discount
    line_discounts = [0 for _ in lines]
    if discount is not None:
        weights = [
            subtotal if is_eligible(line, discount) else 0 for line, subtotal in zip(lines, subtotals, strict=True)
        ]
        line_discounts = allocate(discount_amount(discount, sum(weights)), weights)

    totals: list[LineTotals] = []
    for line, subtotal, line_discount in zip(lines, subtotals, line_discounts, strict=True):
        tax_lines, tax, total = _taxed(subtotal - line_discount, context.line_rates.get(line.key, ()), context)
        totals.append(
            LineTotals(
                key=line.key,
                unit_price=line.unit_price,
                quantity=line.quantity,
                subtotal=subtotal,
                discount=line_discount,
                tax_lines=tax_lines,
                tax=tax,
                total=total,
            )
        )

    shipping: ShippingTotals | None = None
    if context.shipping is not None:
        charge = context.shipping
        shipping_discount = charge.amount if discount is not None and discount.kind is DiscountKind.FREE_SHIPPING else 0
        tax_lines, tax, total = _taxed(charge.amount - shipping_discount, context.shipping_rates, context)
        shipping = ShippingTotals(
            rate_id=charge.rate_id,
            name=charge.name,
            amount=charge.amount,
            discount=shipping_discount,
            tax_lines=tax_lines,
            tax=tax,
            total=total,
            delivery_estimate=charge.delivery_estimate,
        )

    discount_total = sum(line_discounts) + (shipping.discount if shipping is not None else 0)
    applied = (
        AppliedDiscount(id=discount.id, code=discount.code, kind=discount.kind.value, amount=discount_total)
        if discount is not None
        else None
    )
    return Quote(
        currency=context.currency,
        prices_include_tax=context.prices_include_tax,
        tax_exempt=context.tax_exempt,
        lines=tuple(totals),
        shipping=shipping,
        discount=applied,
        subtotal=sum(subtotals),
        discount_total=discount_total,
        shipping_total=shipping.amount if shipping is not None else 0,
        tax_total=sum(line.tax for line in totals) + (shipping.tax if shipping is not None else 0),
        total=sum(line.total for line in totals) + (shipping.total if shipping is not None else 0),
    )


def tax_summary(quote: Quote) -> tuple[TaxLine, ...]:
    """The order's tax lines: the lines' and the shipping's, summed per (name, rate), in first-seen order (what an
    order's ``tax_lines`` snapshot holds)."""
    sums: dict[tuple[str, int], int] = {}
    sources = [item.tax_lines for item in quote.lines] + ([quote.shipping.tax_lines] if quote.shipping else [])
    for tax_lines in sources:
        for tax in tax_lines:
            sums[(tax.name, tax.rate_bps)] = sums.get((tax.name, tax.rate_bps), 0) + tax.amount
    return tuple(TaxLine(name=name, rate_bps=rate_bps, amount=amount) for (name, rate_bps), amount in sums.items())
