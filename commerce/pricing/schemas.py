"""The API shape of a ``Quote`` (carts and orders show their totals with it): integer minor units of the quote's
``currency``. Built straight from the engine's dataclasses (``QuoteRead.model_validate(quote)``)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TaxLineRead(_Read):
    name: str
    rate_bps: int = Field(description="Basis points: 2000 is 20%.")
    amount: int


class LineTotalsRead(_Read):
    key: str = Field(description="The line's id.")
    unit_price: int
    quantity: int
    subtotal: int = Field(description="`unit_price * quantity`.")
    discount: int = Field(description="This line's share of the order discount.")
    tax_lines: list[TaxLineRead]
    tax: int
    total: int = Field(description="Exclusive prices: subtotal - discount + tax; inclusive: subtotal - discount.")


class ShippingTotalsRead(_Read):
    rate_id: uuid.UUID
    name: str
    amount: int
    discount: int
    tax_lines: list[TaxLineRead]
    tax: int
    total: int
    delivery_estimate: str | None


class AppliedDiscountRead(_Read):
    id: uuid.UUID
    code: str
    kind: str = Field(description="`percentage`, `fixed_amount` or `free_shipping`.")
    amount: int = Field(description="Off the lines and the shipping together.")


class QuoteRead(_Read):
    """Totals in minor units of `currency` (docs/pricing.md#the-rules)."""

    currency: str
    prices_include_tax: bool
    tax_exempt: bool
    lines: list[LineTotalsRead]
    shipping: ShippingTotalsRead | None
    discount: AppliedDiscountRead | None
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int
