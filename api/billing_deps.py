"""The Stripe gateway as a dependency: routes that need Stripe answer ``billing_not_configured`` without it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import State
from billing.errors import BillingNotConfigured
from billing.gateway import StripeGateway


async def get_stripe(state: State) -> StripeGateway:
    if state.stripe is None:
        raise BillingNotConfigured()
    return state.stripe


Stripe = Annotated[StripeGateway, Depends(get_stripe)]
