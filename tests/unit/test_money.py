"""Money: integer minor units beside an ISO 4217 code; the exponent table decides every conversion."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.money import CURRENCY_EXPONENTS, MAX_MAJOR_UNITS, Money, exponent, format_amount, max_amount


def test_exponents_of_zero_two_and_three_decimal_currencies() -> None:
    assert (exponent("JPY"), exponent("EUR"), exponent("KWD")) == (0, 2, 3)
    assert all(isinstance(digits, int) and 0 <= digits <= 4 for digits in CURRENCY_EXPONENTS.values())


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(500, "JPY", "500"), (1999, "EUR", "19.99"), (5, "EUR", "0.05"), (1500, "KWD", "1.500"), (5, "KWD", "0.005")],
)
def test_format_amount_uses_the_exponent(amount: int, currency: str, text: str) -> None:
    assert format_amount(amount, currency) == text


def test_range_is_the_same_in_major_units_for_every_currency() -> None:
    assert max_amount("JPY") == MAX_MAJOR_UNITS - 1
    assert max_amount("EUR") == MAX_MAJOR_UNITS * 100 - 1
    assert max_amount("KWD") == MAX_MAJOR_UNITS * 1000 - 1
    assert Money(amount=max_amount("KWD"), currency="KWD").amount == max_amount("KWD")


@pytest.mark.parametrize("amount", [19.99, 20.0, "1999", True, None, -1])
def test_anything_but_a_non_negative_integer_is_refused_naming_amount(amount: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.model_validate({"amount": amount, "currency": "EUR"})
    assert [error["loc"] for error in caught.value.errors()] == [("amount",)]


@pytest.mark.parametrize("currency", ["XYZ", "eur", "EURO", "XAU", ""])
def test_unknown_currencies_are_refused_naming_currency(currency: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.model_validate({"amount": 1, "currency": currency})
    assert [error["loc"] for error in caught.value.errors()] == [("currency",)]


def test_an_amount_past_the_currencys_range_is_refused_naming_amount() -> None:
    Money(amount=MAX_MAJOR_UNITS * 100 - 1, currency="EUR")
    with pytest.raises(ValidationError) as caught:
        Money(amount=MAX_MAJOR_UNITS, currency="JPY")
    assert [error["loc"] for error in caught.value.errors()] == [("amount",)]
    assert "out of range for JPY" in caught.value.errors()[0]["msg"]
