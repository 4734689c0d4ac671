"""Request and response bodies of storefront carts (and of their checkout, in ``commerce.checkout.schemas``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commerce.customers.schemas import (
    AddressLine,
    CustomerEmail,
    PersonName,
    PhoneNumber,
    PostalCode,
    RequiredLine,
    RequiredLocality,
)
from core.countries import CountryCode
from core.money import CurrencyCode
from core.schemas import ResourceRead
from core.validation import Text, reject_explicit_nulls

# Limits a shopper meets (docs/checkout.md): a cart is not a warehouse order.
MAX_LINES = 100
MAX_QUANTITY = 999

Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
DiscountCode = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
SubdivisionCode = Annotated[
    Text, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{1,3}$")
]


class Address(BaseModel):
    """A postal address as checkout stores and the order copies it."""

    model_config = ConfigDict(extra="forbid")

    first_name: PersonName = ""
    last_name: PersonName = ""
    company: AddressLine = ""
    line1: RequiredLine
    line2: AddressLine = ""
    city: RequiredLocality
    postal_code: PostalCode = ""
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. `FR`.")
    subdivision: SubdivisionCode | None = Field(
        default=None, description="ISO 3166-2 subdivision without the country (`CA` for California), for tax."
    )
    phone: PhoneNumber | None = None


class CartLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: uuid.UUID
    quantity: Quantity = 1


class CartCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: CurrencyCode | None = Field(default=None, description="ISO 4217; the shop's currency when omitted.")
    email: CustomerEmail | None = None
    lines: list[CartLineCreate] = Field(default_factory=list, max_length=MAX_LINES)


class CartUpdate(BaseModel):
    """Contact and addresses; `null` clears an address."""

    model_config = ConfigDict(extra="forbid")

    email: CustomerEmail | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None

    @model_validator(mode="after")
    def _email_stays_set(self) -> CartUpdate:
        reject_explicit_nulls(self, "email")
        return self


class CartLineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Quantity


class ShippingRateChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_id: uuid.UUID


class DiscountCodeApply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: DiscountCode


class TaxLineRead(BaseModel):
    name: str
    rate_bps: int
    amount: int


class CartLineRead(BaseModel):
    object: str = "cart_line"
    id: uuid.UUID
    variant_id: uuid.UUID
    product_id: uuid.UUID
    title: str
    variant_title: str
    sku: str | None
    quantity: int
    unit_price: int = Field(description="Minor units of the cart's currency.")
    subtotal: int
    discount: int
    tax: int
    total: int
    tax_lines: list[TaxLineRead]


class CartShippingRead(BaseModel):
    rate_id: uuid.UUID
    name: str
    amount: int
    discount: int
    tax: int
    total: int
    delivery_estimate: str | None


class CartDiscountRead(BaseModel):
    code: str
    kind: str | None = Field(description="`percentage`, `fixed_amount` or `free_shipping`; null if it does not apply.")
    amount: int
    applicable: bool = Field(description="False when the code no longer applies: checkout will refuse it.")
    reason: str | None = Field(description="Why it does not apply (the pricing problem's code).")


class CartTotals(BaseModel):
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int


class CartRead(ResourceRead):
    object: str = "cart"
    status: str = Field(description="`open`, `completed` (an order was placed) or `expired`.")
    currency: str
    email: str | None
    customer_id: uuid.UUID | None = Field(description="The signed-in shopper who owns it; null for a guest cart.")
    shipping_address: Address | None
    billing_address: Address | None
    lines: list[CartLineRead]
    shipping: CartShippingRead | None
    discount: CartDiscountRead | None
    totals: CartTotals
    prices_include_tax: bool
    requires_shipping: bool
    order_id: uuid.UUID | None
    version: int = Field(description="Send it back in If-Match to change the cart safely.")
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


class CartCreated(CartRead):
    secret: str | None = Field(
        description="Guest carts only, shown once: send it as `X-Cart-Secret` to read or change the cart."
    )


class ShippingRateOption(BaseModel):
    object: str = "shipping_rate"
    id: uuid.UUID
    name: str
    amount: int
    currency: str
    delivery_estimate: str | None


class ShippingRateList(BaseModel):
    object: str = "list"
    data: list[ShippingRateOption]


def cart_body(cart: Any, lines: list[Any]) -> dict[str, Any]:
    """The cart as the API shows it (``CartRead``'s fields), from the cart row and its last quote."""
    quote: dict[str, Any] = cart.quote or {}
    by_key = {entry["key"]: entry for entry in quote.get("lines", [])}
    shown_lines = []
    for line in lines:
        totals = by_key.get(str(line.id), {})
        subtotal = line.unit_price * line.quantity
        shown_lines.append(
            {
                "id": line.id,
                "variant_id": line.variant_id,
                "product_id": line.product_id,
                "title": line.title,
                "variant_title": line.variant_title,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "subtotal": totals.get("subtotal", subtotal),
                "discount": totals.get("discount", 0),
                "tax": totals.get("tax", 0),
                "total": totals.get("total", subtotal),
                "tax_lines": totals.get("tax_lines", []),
            }
        )
    discount = None
    if cart.discount_code is not None:
        applied = quote.get("discount")
        discount = {
            "code": cart.discount_code,
            "kind": applied["kind"] if applied else None,
            "amount": applied["amount"] if applied else 0,
            "applicable": applied is not None,
            "reason": quote.get("discount_error"),
        }
    body = {
        "id": cart.id,
        "status": cart.status.value,
        "currency": cart.currency,
        "email": cart.email,
        "customer_id": cart.customer_id,
        "shipping_address": cart.shipping_address,
        "billing_address": cart.billing_address,
        "lines": shown_lines,
        "shipping": quote.get("shipping"),
        "discount": discount,
        "totals": {
            "subtotal": cart.subtotal,
            "discount_total": cart.discount_total,
            "shipping_total": cart.shipping_total,
            "tax_total": cart.tax_total,
            "total": cart.total,
        },
        "prices_include_tax": bool(quote.get("prices_include_tax", False)),
        "requires_shipping": bool(quote.get("requires_shipping", False)),
        "order_id": cart.order_id,
        "version": cart.version,
        "expires_at": cart.expires_at,
        "created_at": cart.created_at,
        "updated_at": cart.updated_at,
    }
    return body
