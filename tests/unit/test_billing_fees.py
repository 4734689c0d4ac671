"""The application fee: basis points of the amount in minor units, half-even, the plan's minimum per
currency, never more than the amount; unknown plans pay the default plan's rate."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from billing.fees import application_fee
from core.money import divide_half_even
from core.settings import FeePlan, StripeSettings

SETTINGS = StripeSettings(
    plans={
        "standard": FeePlan(fee_bps=200, fee_minimum={"EUR": 30, "JPY": 50, "KWD": 100}),
        "pro": FeePlan(fee_bps=125, fee_minimum={"EUR": 20}),
        "free": FeePlan(fee_bps=0),
    },
    default_plan="standard",
)


@pytest.mark.parametrize(
    ("plan", "amount", "currency", "fee", "why"),
    [
        ("standard", 10_000, "EUR", 200, "2 % of 100.00 EUR"),
        ("standard", 1_000, "EUR", 30, "2 % is 20 cents: the minimum, 30"),
        ("standard", 20, "EUR", 20, "never more than the amount"),
        ("standard", 1_500, "JPY", 50, "2 % is 30 yen: the yen minimum, 50 (not 0.30 scaled)"),
        ("standard", 100_000, "JPY", 2_000, "2 % of 100 000 yen: no exponent involved"),
        ("standard", 12_345, "KWD", 247, "2 % of 12.345 KWD is 246.9 fils: 247"),
        ("standard", 1_000, "KWD", 100, "2 % is 20 fils: the dinar minimum, 0.100"),
        ("standard", 1_000, "CHF", 20, "no minimum for a currency the plan does not list"),
        ("pro", 1_000, "USD", 12, "1.25 % of 1000 is 12.5: half-even, 12"),
        ("pro", 1_400, "USD", 18, "1.25 % of 1400 is 17.5: half-even, 18"),
        ("pro", 10_000, "EUR", 125, "1.25 %"),
        ("free", 10_000, "EUR", 0, "a free plan takes nothing"),
        ("enterprise", 10_000, "EUR", 200, "an unknown plan pays the default plan's rate"),
        ("standard", 0, "EUR", 0, "nothing to take a fee from"),
    ],
)
def test_application_fee(plan: str, amount: int, currency: str, fee: int, why: str) -> None:
    assert application_fee(SETTINGS, plan, amount, currency) == fee, why


def test_divide_half_even() -> None:
    assert [divide_half_even(n, 10) for n in (14, 15, 16, 25, 35, -15)] == [1, 2, 2, 2, 4, -2]
    with pytest.raises(ValueError, match="denominator"):
        divide_half_even(1, 0)


def test_plans_are_validated() -> None:
    with pytest.raises(ValidationError):
        StripeSettings(default_plan="gold")
    with pytest.raises(ValidationError):
        FeePlan(fee_bps=10_001)
    with pytest.raises(ValidationError):
        FeePlan(fee_bps=100, fee_minimum={"eur": 30})
    assert (
        StripeSettings.model_validate({"plans": {"x": {"fee_bps": 50}}, "default_plan": "x"}).plans["x"].fee_bps == 50
    )


def test_plans_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import Settings

    monkeypatch.setenv("COMMERCE_STRIPE__PLANS", '{"basic": {"fee_bps": 300, "fee_minimum": {"JPY": 40}}}')
    monkeypatch.setenv("COMMERCE_STRIPE__DEFAULT_PLAN", "basic")
    monkeypatch.setenv("COMMERCE_STRIPE__REFUND_APPLICATION_FEE", "false")
    stripe = Settings().stripe
    assert stripe.plans == {"basic": FeePlan(fee_bps=300, fee_minimum={"JPY": 40})}
    assert stripe.refund_application_fee is False
    assert application_fee(stripe, "standard", 1000, "JPY") == 40
