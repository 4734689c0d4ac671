"""The values the totals engine takes and gives (CONTRACTS.md section 2): frozen dataclasses, no I/O.

Every amount is an integer in the quote currency's minor units (``core.money``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QuoteLine:
    key: str  # the caller's id for the line (a cart line id)
    variant_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    unit_price: int  # minor units, the catalog's price in the quote currency (tax-inclusive iff prices_include_tax)
    tax_class: str | None  # Variant.tax_class
    requires_shipping: bool
    weight_grams: int | None  # of one unit (commerce.shipping.service.weight_in_grams converts a variant's weight)


@dataclass(frozen=True, slots=True)
class Destination:
    country: str  # ISO 3166-1 alpha-2, upper case
    subdivision: str | None  # ISO 3166-2 subdivision code without the country ("CA", "NSW"), or None


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    currency: str
    lines: Sequence[QuoteLine]
    destination: Destination | None  # the shipping address (tax and shipping need it)
    shipping_rate_id: uuid.UUID | None
    discount_code: str | None
    customer_id: uuid.UUID | None  # tax_exempt and per-customer discount limits come from the customer
    email: str | None  # guests' per-customer limits count by email


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
    kind: str  # percentage | fixed_amount | free_shipping
    amount: int


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


@dataclass(frozen=True, slots=True)
class ShippingOption:
    """A rate that applies to a cart, with what it costs it (the free-above threshold already applied)."""

    rate_id: uuid.UUID
    zone_id: uuid.UUID
    name: str
    currency: str
    amount: int
    delivery_estimate: str | None
    min_delivery_days: int | None
    max_delivery_days: int | None
