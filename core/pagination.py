"""Cursor pagination: ``limit`` + ``starting_after`` (the id of the last item seen) -> ``has_more``.

Lists sort by ``(created_at, id)``, a total order that stays stable while rows are inserted.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

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
