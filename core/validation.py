"""Validators shared by every API schema (one definition each).

Every string that comes in from a client (body fields, query and path parameters, form fields) is ``Text``
or ``MultilineText``, or a type built on them: PostgreSQL text cannot hold NUL (psycopg raises, which would be a
500), UTF-8 cannot hold lone surrogates (JSON's ``"\\ud800"``), and no name, token or address has a use for
other control characters. A refused value is a 422 ``invalid_input`` whose ``errors`` name the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, StringConstraints

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


# The input string types. Constrain them further with Field(...) or StringConstraints as usual:
#     name: Text = Field(min_length=1, max_length=200)
#     starting_after: Annotated[Text | None, Query()] = None
Text = Annotated[str, AfterValidator(_single_line)]
MultilineText = Annotated[str, AfterValidator(_multiline)]


def invalid_fields(pairs: Iterable[tuple[str, str]]) -> list[dict[str, object]]:
    """For inputs read outside pydantic (the OAuth forms): one ``errors`` entry per value that is not ``Text``."""
    errors: list[dict[str, object]] = []
    for name, value in pairs:
        if (character := control_character(name) or control_character(value)) is not None:
            field = name if control_character(name) is None else repr(name)
            errors.append(
                {"loc": [field], "message": f"must not contain control characters ({character})", "type": "value_error"}
            )
    return errors


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    if name not in available_timezones() and name != "UTC":
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
TimeZoneName = Annotated[Text, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_timezone)]
DisplayName = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def reject_explicit_nulls(model: BaseModel, *fields: str) -> None:
    """PATCH bodies: omitting a field leaves it alone, but ``null`` may only clear fields that are optional."""
    nulled = sorted(f for f in fields if f in model.model_fields_set and getattr(model, f) is None)
    if nulled:
        raise ValueError(f"{', '.join(nulled)} cannot be null")
