"""Bodies of checkout: what the storefront hands to Stripe.js, and the order it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from commerce.carts.schemas import CartTotals


class CheckoutConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkout_id: uuid.UUID | None = Field(
        default=None, description="The checkout to confirm; the cart's latest checkout when omitted."
    )


class PaymentIntentRead(BaseModel):
    id: str
    client_secret: str | None = Field(description="For Stripe.js (`stripe.confirmPayment`) on the merchant's account.")
    status: str
    stripe_account: str = Field(description="The connected account to initialise Stripe.js with (`stripeAccount`).")


class OrderRef(BaseModel):
    id: uuid.UUID
    number: int


class CheckoutRead(BaseModel):
    object: str = "checkout"
    id: uuid.UUID
    cart_id: uuid.UUID
    cart_version: int
    status: str = Field(description="`open`, `completed`, `canceled`, `refunding` or `refunded`.")
    amount: int = Field(description="What the shopper pays, in minor units of `currency`.")
    currency: str
    totals: CartTotals
    payment_intent: PaymentIntentRead | None
    order: OrderRef | None
    failure_code: str | None
    reserved_until: datetime | None = Field(description="Until when the cart's stock is held for this checkout.")
    created_at: datetime
