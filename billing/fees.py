"""The platform's application fee on a payment: the tenant's plan's rate, with the plan's minimum."""

from __future__ import annotations

from core.money import divide_half_even
from core.settings import FeePlan, StripeSettings


def fee_plan(settings: StripeSettings, plan: str) -> FeePlan:
    """The plan's fee terms; a plan the settings do not list pays the default plan's (never nothing)."""
    return settings.plans.get(plan) or settings.plans[settings.default_plan]


def application_fee(settings: StripeSettings, plan: str, amount: int, currency: str) -> int:
    """``fee_bps`` basis points of ``amount`` (minor units), rounded half-even, raised to the plan's
    minimum for ``currency``, and never more than the amount itself.

    Basis points of minor units need no exponent: 2 % of 1500 JPY is 30 JPY, of 12.345 KWD (12345) is
    0.247 KWD (246.9 -> 247); only the minimum is per currency, in that currency's minor units.
    """
    if amount < 0:
        raise ValueError("the amount must not be negative")
    terms = fee_plan(settings, plan)
    fee = divide_half_even(amount * terms.fee_bps, 10_000)
    fee = max(fee, terms.fee_minimum.get(currency.upper(), 0))
    return min(fee, amount)
