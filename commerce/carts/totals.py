"""A cart's totals: its lines priced from the catalog now, quoted by ``commerce.pricing`` (tax, shipping,
discount), the result stored on the cart. Two modes:

* ``lenient`` (every cart change): lines take the catalog's current price; a discount code or a shipping rate
  that no longer applies is left out of the totals and flagged (``discount.applicable = false``), so adding a
  line never fails because a code expired meanwhile.
* ``strict`` (checkout): nothing is silently changed. Lines no longer for sale, or whose price changed since the
  shopper last saw the cart, are named in one problem; the discount and the rate must apply.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.carts import repository
from commerce.carts.errors import CartLinesChanged, CartLinesUnavailable
from commerce.carts.models import Cart
from commerce.carts.repository import VariantFacts
from commerce.pricing import (
    Destination,
    DiscountCodeNotFound,
    DiscountNotApplicable,
    Quote,
    QuoteLine,
    QuoteRequest,
    ShippingRateUnavailable,
    quote,
)
from commerce.pricing.engine import tax_summary


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def quote_json(result: Quote, *, requires_shipping: bool, discount_error: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = _jsonable(dataclasses.asdict(result))
    body["tax_lines"] = _jsonable([dataclasses.asdict(tax) for tax in tax_summary(result)])  # the order's summary
    body["requires_shipping"] = requires_shipping
    if discount_error is not None:
        body["discount_error"] = discount_error
    return body


def request_for(
    cart: Cart, facts: dict[uuid.UUID, VariantFacts], *, with_discount: bool = True, with_rate: bool = True
) -> QuoteRequest:
    lines = []
    for line in cart.lines:
        fact = facts.get(line.variant_id)
        lines.append(
            QuoteLine(
                key=str(line.id),
                variant_id=line.variant_id,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_class=fact.tax_class if fact else None,
                requires_shipping=fact.requires_shipping if fact else True,
                weight_grams=fact.weight_grams if fact else None,
            )
        )
    address = cart.shipping_address
    destination = Destination(address["country"], address.get("subdivision")) if address else None
    return QuoteRequest(
        currency=cart.currency,
        lines=lines,
        destination=destination,
        shipping_rate_id=cart.shipping_rate_id if with_rate else None,
        discount_code=cart.discount_code if with_discount else None,
        customer_id=cart.customer_id,
        email=cart.email,
    )


def requires_shipping(cart: Cart, facts: dict[uuid.UUID, VariantFacts]) -> bool:
    return any(facts[line.variant_id].requires_shipping for line in cart.lines if line.variant_id in facts)


def _store(cart: Cart, result: Quote, body: dict[str, Any]) -> None:
    cart.quote = body
    cart.subtotal = result.subtotal
    cart.discount_total = result.discount_total
    cart.shipping_total = result.shipping_total
    cart.tax_total = result.tax_total
    cart.total = result.total


async def reprice(
    db: AsyncSession, cart: Cart, *, now: datetime, discount_must_apply: bool = False, rate_must_apply: bool = False
) -> Quote:
    """Lenient (see the module): refresh the lines' prices, quote, store. ``discount_must_apply`` (applying a
    code) and ``rate_must_apply`` (choosing a rate) let that problem through instead of flagging it."""
    facts = await repository.variant_facts(db, [line.variant_id for line in cart.lines], cart.currency)
    for line in cart.lines:
        fact = facts.get(line.variant_id)
        if fact is not None and fact.price is not None:
            line.unit_price = fact.price
            line.title, line.variant_title, line.sku = fact.product_title, fact.variant_title, fact.sku
    with_rate = True
    discount_error: str | None = None
    while True:
        request = request_for(cart, facts, with_rate=with_rate, with_discount=discount_error is None)
        try:
            result = await quote(db, request, now=now)
        except (DiscountCodeNotFound, DiscountNotApplicable) as problem:
            if discount_must_apply or discount_error is not None:
                raise
            discount_error = problem.extra.get("reason") or problem.code
            continue
        except ShippingRateUnavailable:
            if rate_must_apply or not with_rate:
                raise
            with_rate = False  # the rate no longer fits (the address or the weight changed): shown without it
            continue
        break
    body = quote_json(result, requires_shipping=requires_shipping(cart, facts), discount_error=discount_error)
    if not with_rate:
        body["shipping_error"] = ShippingRateUnavailable.code
    _store(cart, result, body)
    return result


async def strict_quote(db: AsyncSession, cart: Cart, *, now: datetime) -> tuple[Quote, dict[uuid.UUID, VariantFacts]]:
    """Strict (see the module): the quote checkout charges, or a problem naming what changed."""
    facts = await repository.variant_facts(db, [line.variant_id for line in cart.lines], cart.currency)
    unavailable: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for line in cart.lines:
        fact = facts.get(line.variant_id)
        if fact is None or not fact.for_sale or fact.price is None:
            reason = "deleted" if fact is None else ("not_active" if not fact.for_sale else "not_priced")
            unavailable.append({"line_id": str(line.id), "variant_id": str(line.variant_id), "reason": reason})
        elif fact.price != line.unit_price:
            changed.append(
                {
                    "line_id": str(line.id),
                    "variant_id": str(line.variant_id),
                    "reason": "price_changed",
                    "previous_unit_price": line.unit_price,
                    "unit_price": fact.price,
                }
            )
    if unavailable:
        raise CartLinesUnavailable(lines=unavailable)
    if changed:
        await reprice(db, cart, now=now)  # the cart now shows the new prices; kept by the problem
        cart.version += 1
        await db.flush()
        raise CartLinesChanged(lines=changed, version=cart.version)
    result = await quote(db, request_for(cart, facts), now=now)
    _store(cart, result, quote_json(result, requires_shipping=requires_shipping(cart, facts)))
    return result, facts
