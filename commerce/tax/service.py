"""Tax: the rates that apply at a destination, per tax class (see ``models.py`` for the class rules)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.tax import repository


async def rates_for(
    db: AsyncSession, *, country: str, subdivision: str | None, tax_classes: Iterable[str | None]
) -> dict[str | None, tuple[tuple[str, int], ...]]:
    """For each class code asked (None: no class), the rates that apply at the destination: the class's own if
    the shop has that class, else the standard rates, as (name, basis points), the country's first. Two statements
    whatever the number of lines."""
    asked = set(tax_classes)
    rows = await repository.rates_at(db, country, subdivision)
    named = [code for code in asked if code is not None]
    existing = await repository.existing_codes(db, named) if named else set()
    by_class: dict[str | None, list[tuple[str, int]]] = {}
    for code, name, rate_bps in rows:
        by_class.setdefault(code, []).append((name, rate_bps))
    return {code: tuple(by_class.get(code if code in existing else None, ())) for code in asked}
