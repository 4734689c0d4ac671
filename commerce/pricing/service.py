"""Quotes: the totals of a cart, read from the shop's settings (tax mode, tax rates, shipping rates, discounts)
and computed by the pure engine (``engine.py``, which states the rules). Reads only; nothing is written.

``quote`` re-checks everything it is given on every call: a discount that expired or reached its limit, a
shipping rate that no longer applies (the cart's destination, subtotal or weight changed) are problems, never a
silently different price.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.customers import repository as customers_repository
from commerce.discounts import service as discounts_service
from commerce.pricing.engine import DiscountSpec, PricingContext, ShippingCharge, TaxRateSpec, compute
from commerce.pricing.types import Quote, QuoteRequest, ShippingOption
from commerce.shipping import service as shipping_service
from commerce.shipping.errors import ShippingRateUnavailable
from commerce.shop import repository as shop_repository
from commerce.tax import service as tax_service
from commerce.tax.models import SHIPPING_TAX_CLASS


def _subtotal(request: QuoteRequest) -> int:
    return sum(line.unit_price * line.quantity for line in request.lines)


def _shipped_weight(request: QuoteRequest) -> int:
    return sum((line.weight_grams or 0) * line.quantity for line in request.lines if line.requires_shipping)


def _requires_shipping(request: QuoteRequest) -> bool:
    return any(line.requires_shipping for line in request.lines)


async def _tax_exempt(db: AsyncSession, customer_id: uuid.UUID | None) -> bool:
    if customer_id is None:
        return False
    customer = await customers_repository.get(db, customer_id)
    return customer is not None and customer.tax_exempt


async def _discount(db: AsyncSession, request: QuoteRequest, *, now: datetime) -> DiscountSpec | None:
    if request.discount_code is None:
        return None
    discount = await discounts_service.find_by_code(db, request.discount_code)
    eligible = await discounts_service.eligible_product_ids(db, discount)
    discounts_service.check_terms(
        discount,
        currency=request.currency,
        subtotal=_subtotal(request),
        eligible_lines=discounts_service.eligible_count([line.product_id for line in request.lines], eligible),
        now=now,
    )
    await discounts_service.check_limits(db, discount, customer_id=request.customer_id, email=request.email)
    return DiscountSpec(
        id=discount.id,
        code=discount.code,
        kind=discount.kind,
        percentage_bps=discount.percentage_bps,
        amount=discount.amounts.get(request.currency),
        eligible_product_ids=eligible,
    )


async def shipping_options(db: AsyncSession, request: QuoteRequest, *, now: datetime) -> list[ShippingOption]:
    """The rates that apply to the request's destination, currency, subtotal and weight, each with its amount
    (free above its threshold). None without a destination or without a line that requires shipping."""
    if request.destination is None or not _requires_shipping(request):
        return []
    subtotal = _subtotal(request)
    rates = await shipping_service.applicable_rates(
        db,
        country=request.destination.country,
        subdivision=request.destination.subdivision,
        currency=request.currency,
        subtotal=subtotal,
        weight_grams=_shipped_weight(request),
    )
    return [
        ShippingOption(
            rate_id=rate.id,
            zone_id=zone.id,
            name=rate.name,
            currency=request.currency,
            amount=shipping_service.rate_amount(rate, currency=request.currency, subtotal=subtotal),
            delivery_estimate=shipping_service.delivery_estimate(rate.min_delivery_days, rate.max_delivery_days),
            min_delivery_days=rate.min_delivery_days,
            max_delivery_days=rate.max_delivery_days,
        )
        for rate, zone in rates
    ]


async def _shipping(db: AsyncSession, request: QuoteRequest, *, now: datetime) -> ShippingCharge | None:
    if request.shipping_rate_id is None or not _requires_shipping(request):
        return None  # nothing to ship: a chosen rate is not charged
    options = await shipping_options(db, request, now=now)
    chosen = next((option for option in options if option.rate_id == request.shipping_rate_id), None)
    if chosen is None:
        raise ShippingRateUnavailable(shipping_rate_id=str(request.shipping_rate_id))
    return ShippingCharge(
        rate_id=chosen.rate_id, name=chosen.name, amount=chosen.amount, delivery_estimate=chosen.delivery_estimate
    )


async def quote(db: AsyncSession, request: QuoteRequest, *, now: datetime) -> Quote:
    """The totals of the request (rules: ``commerce.pricing.engine``). Without a destination no tax is computed
    and no shipping can be chosen. Raises ``DiscountCodeNotFound``, ``DiscountNotApplicable`` (with its
    ``reason``) and ``ShippingRateUnavailable``."""
    discount = await _discount(db, request, now=now)
    shipping = await _shipping(db, request, now=now)
    line_rates: dict[str, tuple[TaxRateSpec, ...]] = {}
    shipping_rates: tuple[TaxRateSpec, ...] = ()
    if request.destination is not None:
        rates = await tax_service.rates_for(
            db,
            country=request.destination.country,
            subdivision=request.destination.subdivision,
            tax_classes={line.tax_class for line in request.lines} | {SHIPPING_TAX_CLASS},
        )
        specs = {code: tuple(TaxRateSpec(name, bps) for name, bps in found) for code, found in rates.items()}
        line_rates = {line.key: specs[line.tax_class] for line in request.lines}
        shipping_rates = specs[SHIPPING_TAX_CLASS]
    context = PricingContext(
        currency=request.currency,
        prices_include_tax=await shop_repository.prices_include_tax(db),
        tax_exempt=await _tax_exempt(db, request.customer_id),
        line_rates=line_rates,
        shipping=shipping,
        shipping_rates=shipping_rates,
        discount=discount,
    )
    return compute(request.lines, context)


async def redeem_discount(
    db: AsyncSession,
    *,
    discount_id: uuid.UUID,
    order_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    email: str | None,
    now: datetime,
) -> None:
    """Record the order's use of the discount, atomically (see ``commerce.discounts.service.redeem``): raises
    ``DiscountNotApplicable`` (``usage_limit_reached`` / ``customer_limit_reached``); a second call for the same
    order is a no-op. Call it in the order's transaction."""
    await discounts_service.redeem(
        db, discount_id=discount_id, order_id=order_id, customer_id=customer_id, email=email, now=now
    )
