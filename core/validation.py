"""Validators shared by every API schema (one definition each)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, StringConstraints

from core.money import CurrencyCode


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    if name not in available_timezones() and name != "UTC":
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_timezone)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


__all__ = ["CurrencyCode", "DisplayName", "TimeZoneName", "reject_explicit_nulls"]


def reject_explicit_nulls(model: BaseModel, *fields: str) -> None:
    """PATCH bodies: omitting a field leaves it alone, but ``null`` may only clear fields that are optional."""
    nulled = sorted(f for f in fields if f in model.model_fields_set and getattr(model, f) is None)
    if nulled:
        raise ValueError(f"{', '.join(nulled)} cannot be null")
