"""Cursor pagination: ``limit`` + ``starting_after`` (the id of the last item seen) -> ``has_more``.

Lists sort by ``(created_at, id)``, a total order that stays stable while rows are inserted.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

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
