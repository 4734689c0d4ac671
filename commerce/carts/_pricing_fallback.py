"""TEMPORARY stand-in for ``commerce.pricing`` (CONTRACTS §2) until the pricing branch is merged: the same
types and ``quote()`` shape, subtotal only (no tax, shipping or discounts). Deleted at the merge."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound


class DiscountCodeNotFound(NotFound):
    code = "discount_code_not_found"
    title = "No discount has this code."


class DiscountNotApplicable(Conflict):
    code = "discount_not_applicable"
    title = "The discount code does not apply to this cart."


class ShippingRateUnavailable(Conflict):
    code = "shipping_rate_unavailable"
    title = "The chosen shipping rate does not apply to this cart."


@dataclass(frozen=True, slots=True)
class QuoteLine:
    key: str
    variant_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    unit_price: int
    tax_class: str | None
    requires_shipping: bool
    weight_grams: int | None


@dataclass(frozen=True, slots=True)
class Destination:
    country: str
    subdivision: str | None


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    currency: str
    lines: Sequence[QuoteLine]
    destination: Destination | None
    shipping_rate_id: uuid.UUID | None
    discount_code: str | None
    customer_id: uuid.UUID | None
    email: str | None


@dataclass(frozen=True, slots=True)
class TaxLine:
    name: str
    rate_bps: int
    amount: int


@dataclass(frozen=True, slots=True)
class LineTotals:
    key: str
    unit_price: int
    quantity: int
    subtotal: int
    discount: int
    tax_lines: tuple[TaxLine, ...]
    tax: int
    total: int


@dataclass(frozen=True, slots=True)
class ShippingTotals:
    rate_id: uuid.UUID
    name: str
    amount: int
    discount: int
    tax_lines: tuple[TaxLine, ...]
    tax: int
    total: int
    delivery_estimate: str | None


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    id: uuid.UUID
    code: str
    kind: str
    amount: int


@dataclass(frozen=True, slots=True)
class ShippingOption:
    rate_id: uuid.UUID
    name: str
    amount: int
    currency: str
    delivery_estimate: str | None


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    prices_include_tax: bool
    tax_exempt: bool
    lines: tuple[LineTotals, ...]
    shipping: ShippingTotals | None
    discount: AppliedDiscount | None
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int


async def quote(db: AsyncSession, request: QuoteRequest, *, now: datetime) -> Quote:
    if request.discount_code is not None:
        raise DiscountCodeNotFound()
    if request.shipping_rate_id is not None:
        raise ShippingRateUnavailable()
    lines = tuple(
        LineTotals(
            key=line.key,
            unit_price=line.unit_price,
            quantity=line.quantity,
            subtotal=line.unit_price * line.quantity,
            discount=0,
            tax_lines=(),
            tax=0,
            total=line.unit_price * line.quantity,
        )
        for line in request.lines
    )
    subtotal = sum(line.subtotal for line in lines)
    return Quote(request.currency, False, False, lines, None, None, subtotal, 0, 0, 0, subtotal)


async def shipping_options(db: AsyncSession, request: QuoteRequest, *, now: datetime) -> list[ShippingOption]:
    return []


async def redeem_discount(
    db: AsyncSession,
    *,
    discount_id: uuid.UUID,
    order_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    email: str | None,
    now: datetime,
) -> None:
    return None
