"""Cursor pagination: ``limit`` + ``starting_after`` (the id of the last item seen) -> ``has_more``.

Lists sort by ``(created_at, id)``, a total order that stays stable while rows are inserted.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, literal, tuple_

from core.errors import InvalidCursor

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    object: str = Field(default="list")
    data: list[T]
    has_more: bool


def split_page(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """Repositories fetch ``limit + 1`` rows; the extra one only tells whether more exist."""
    return rows[:limit], len(rows) > limit


async def cursor_row(starting_after: str | None, load: Callable[[uuid.UUID], Awaitable[T | None]]) -> T | None:
    """The row ``starting_after`` names (None on the first page); a malformed or unknown id is ``InvalidCursor``."""
    if starting_after is None:
        return None
    try:
        row = await load(uuid.UUID(starting_after))
    except ValueError as exc:
        raise InvalidCursor() from exc
    if row is None:
        raise InvalidCursor()
    return row


class Keyed(Protocol):
    """A row a page can continue after: the default order of lists is ``(created_at, id)``."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


def after_row(created_at: Any, id_: Any, row: Keyed, *, descending: bool = False) -> ColumnElement[bool]:
    """The keyset condition "comes after ``row``" for a list ordered by ``(created_at, id)`` (or newest first)."""
    position = tuple_(created_at, id_)
    seen = tuple_(literal(row.created_at), literal(row.id))
    return position < seen if descending else position > seen
