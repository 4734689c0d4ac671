"""Validators shared by every API schema (one definition each)."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, StringConstraints

from core.money import CurrencyCode

# C0 controls, DEL, C1 controls, and UTF-16 surrogates (which no UTF-8 text can encode).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, except tab, line feed and carriage return: free text such as a description may hold lines.
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` no input string may hold (``"U+0000"``), or None."""
    found = (_CONTROL_EXCEPT_LINES if multiline else _CONTROL).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _single_line(value: str) -> str:
    if (character := control_character(value)) is not None:
        raise ValueError(f"must not contain control characters ({character})")
    return value


def _multiline(value: str) -> str:
    if (character := control_character(value, multiline=True)) is not None:
        raise ValueError(f"must not contain control characters other than tab and line breaks ({character})")
    return value


# The input string types (the same definitions as the hardening branch's; adopt theirs on merge).
Text = Annotated[str, AfterValidator(_single_line)]
MultilineText = Annotated[str, AfterValidator(_multiline)]


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
