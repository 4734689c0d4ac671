"""Money: an integer amount in the currency's minor units beside its ISO 4217 code. Never a float.

The API shape is ``{"amount": 1999, "currency": "EUR"}`` (19.99 EUR); ``{"amount": 500, "currency": "JPY"}``
is 500 yen (JPY has no minor unit) and ``{"amount": 1500, "currency": "KWD"}`` 1.500 dinar (three decimals).
The exponent table below is the only place that knows how many minor units a currency has; every
conversion goes through it, so the classic 100x bug of zero-decimal currencies cannot happen twice.

An unknown currency, an amount that is not an integer (``19.99``, ``20.0``, ``"1999"``) or an amount past
the currency's range is refused at validation, naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator

# ISO 4217 active currencies and their minor-unit exponents (the standard's "E" column). Funds codes,
# precious metals and testing codes (XAU, XTS, XXX...) have no minor unit and are deliberately absent.
CURRENCY_EXPONENTS: Final[dict[str, int]] = {
    **dict.fromkeys(
        [
            "AED",
            "AFN",
            "ALL",
            "AMD",
            "ANG",
            "AOA",
            "ARS",
            "AUD",
            "AWG",
            "AZN",
            "BAM",
            "BBD",
            "BDT",
            "BGN",
            "BMD",
            "BND",
            "BOB",
            "BRL",
            "BSD",
            "BTN",
            "BWP",
            "BYN",
            "BZD",
            "CAD",
            "CDF",
            "CHF",
            "CNY",
            "COP",
            "CRC",
            "CUP",
            "CVE",
            "CZK",
            "DKK",
            "DOP",
            "DZD",
            "EGP",
            "ERN",
            "ETB",
            "EUR",
            "FJD",
            "FKP",
            "GBP",
            "GEL",
            "GHS",
            "GIP",
            "GMD",
            "GTQ",
            "GYD",
            "HKD",
            "HNL",
            "HTG",
            "HUF",
            "IDR",
            "ILS",
            "INR",
            "IRR",
            "JMD",
            "KES",
            "KGS",
            "KHR",
            "KPW",
            "KYD",
            "KZT",
            "LAK",
            "LBP",
            "LKR",
            "LRD",
            "LSL",
            "MAD",
            "MDL",
            "MGA",
            "MKD",
            "MMK",
            "MNT",
            "MOP",
            "MRU",
            "MUR",
            "MVR",
            "MWK",
            "MXN",
            "MYR",
            "MZN",
            "NAD",
            "NGN",
            "NIO",
            "NOK",
            "NPR",
            "NZD",
            "PAB",
            "PEN",
            "PGK",
            "PHP",
            "PKR",
            "PLN",
            "QAR",
            "RON",
            "RSD",
            "RUB",
            "SAR",
            "SBD",
            "SCR",
            "SDG",
            "SEK",
            "SGD",
            "SHP",
            "SLE",
            "SOS",
            "SRD",
            "SSP",
            "STN",
            "SVC",
            "SYP",
            "SZL",
            "THB",
            "TJS",
            "TMT",
            "TOP",
            "TRY",
            "TTD",
            "TWD",
            "TZS",
            "UAH",
            "USD",
            "UYU",
            "UZS",
            "VES",
            "WST",
            "XCD",
            "YER",
            "ZAR",
            "ZMW",
            "ZWG",
        ],
        2,
    ),
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    "CLF": 4,
    "UYW": 4,
}

# The largest amount any price may hold, in major units (one trillion): past it an amount is refused as out of
# range. In minor units this is at most 10**16 (four decimals), well inside a PostgreSQL BIGINT.
MAX_MAJOR_UNITS: Final[int] = 10**12


def exponent(currency: str) -> int:
    """The number of minor-unit digits of ``currency`` (KeyError for an unknown code: validate first)."""
    return CURRENCY_EXPONENTS[currency]


def max_amount(currency: str) -> int:
    """The largest amount, in minor units, that ``currency`` accepts."""
    return MAX_MAJOR_UNITS * int(10 ** exponent(currency)) - 1


def known_currency(code: str) -> str:
    """``code`` if it is an ISO 4217 currency with a minor unit, else ValueError (a 422 naming the field)."""
    if code not in CURRENCY_EXPONENTS:
        raise ValueError(f"unknown ISO 4217 currency {code!r} (use an upper-case code such as EUR, JPY, KWD)")
    return code


def check_amount(amount: int, currency: str) -> int:
    """``amount`` if it lies within ``0..max_amount(currency)``, else ValueError."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    limit = max_amount(currency)
    if amount > limit:
        raise ValueError(f"amount is out of range for {currency} (at most {limit} minor units)")
    return amount


def format_amount(amount: int, currency: str) -> str:
    """The decimal text of an amount, by integer arithmetic: ``(1999, "EUR") -> "19.99"``, ``(5, "KWD") -> "0.005"``."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), int(10**digits))
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


CurrencyCode = Annotated[
    str,
    Field(min_length=3, max_length=3, description="ISO 4217 code, upper case.", examples=["EUR"]),
    AfterValidator(known_currency),
]
# A JSON integer and nothing else: 19.99, 20.0, "1999" and true are all refused.
MinorUnits = Annotated[StrictInt, Field(ge=0, description="Amount in the currency's minor units (cents for EUR).")]


class Money(BaseModel):
    """An amount of one currency. Fields validate in declaration order: the currency first, then the amount
    against that currency's range, so each error names its own field."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [{"amount": 1999, "currency": "EUR"}]}
    )

    currency: CurrencyCode
    amount: MinorUnits

    @field_validator("amount")
    @classmethod
    def _within_range(cls, amount: int, info: ValidationInfo) -> int:
        currency = info.data.get("currency")
        return check_amount(amount, currency) if currency is not None else amount


def money_dict(amount: int, currency: str) -> dict[str, Any]:
    """The API shape of an amount read from the database."""
    return {"amount": amount, "currency": currency}


def _one_per_currency(amounts: list[Money]) -> list[Money]:
    currencies = [money.currency for money in amounts]
    if len(set(currencies)) != len(currencies):
        raise ValueError("at most one amount per currency")
    return amounts


# Amounts in several currencies (a shipping rate's price, a discount's minimum): one per currency.
AmountsByCurrency = Annotated[list[Money], Field(max_length=200), AfterValidator(_one_per_currency)]


def amounts_map(amounts: list[Money]) -> dict[str, int]:
    """``[{"amount": 500, "currency": "EUR"}]`` -> ``{"EUR": 500}``: how such amounts are stored (JSONB)."""
    return {money.currency: money.amount for money in amounts}


def amounts_list(amounts: Any) -> Any:
    """The stored ``{"EUR": 500}`` as the API shows it, ``[{"amount": 500, "currency": "EUR"}]`` (sorted by
    currency); anything else passes through (a ``mode="before"`` validator of read schemas)."""
    if isinstance(amounts, dict):
        return [money_dict(amount, currency) for currency, amount in sorted(amounts.items())]
    return amounts


def divide_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties to even (banker's rounding), in
    integers only: a share of an amount in minor units (a fee in basis points, a proportional refund)."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient
