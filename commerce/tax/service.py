"""Tax: the rates that apply at a destination, per tax class (see ``models.py`` for the class rules)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce import resources
from commerce.tax import repository
from commerce.tax.errors import (
    TaxClassCodeTaken,
    TaxClassInUse,
    TaxClassNotFound,
    TaxRateExists,
    TaxRateNotFound,
    UnknownTaxClass,
)
from commerce.tax.models import TaxClass, TaxRate
from commerce.tax.schemas import TaxClassCreate, TaxClassRead, TaxClassUpdate, TaxRateCreate, TaxRateRead, TaxRateUpdate


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


# --- the merchant's classes and rates --------------------------------------------------------------------


async def list_classes(db: AsyncSession, *, limit: int, starting_after: str | None) -> tuple[list[TaxClass], bool]:
    return await resources.page(db, TaxClass, limit=limit, starting_after=starting_after)


async def get_class(db: AsyncSession, class_id: uuid.UUID, *, lock: bool = False) -> TaxClass:
    found = await resources.load(db, TaxClass, class_id, lock=lock)
    if found is None:
        raise TaxClassNotFound()
    return found


async def create_class(db: AsyncSession, body: TaxClassCreate, *, actor: Principal) -> TaxClass:
    tax_class = TaxClass(code=body.code, name=body.name, version=1)
    db.add(tax_class)
    await resources.flush(db, TaxClassCodeTaken(tax_class_code=body.code))
    await resources.record(db, "tax_class.created", tax_class, TaxClassRead, actor)
    return tax_class


async def update_class(
    db: AsyncSession, class_id: uuid.UUID, body: TaxClassUpdate, *, if_match: int | None, actor: Principal
) -> TaxClass:
    tax_class = await get_class(db, class_id, lock=True)
    resources.check_version(tax_class, if_match)
    resources.apply(tax_class, body.model_dump(exclude_unset=True))
    await resources.flush(db)
    await resources.record(db, "tax_class.updated", tax_class, TaxClassRead, actor)
    return tax_class


async def delete_class(db: AsyncSession, class_id: uuid.UUID, *, if_match: int | None, actor: Principal) -> None:
    """Delete a class without rates (409 ``tax_class_in_use`` otherwise). Its variants fall back to the standard
    rates: the code on the variants stays and takes effect again if a class with it is created."""
    tax_class = await get_class(db, class_id, lock=True)
    resources.check_version(tax_class, if_match)
    if await repository.class_has_rates(db, class_id):
        raise TaxClassInUse()
    await resources.record(db, "tax_class.deleted", tax_class, TaxClassRead, actor)
    await db.delete(tax_class)
    await db.flush()


async def list_rates(
    db: AsyncSession,
    *,
    limit: int,
    starting_after: str | None,
    country: str | None = None,
    tax_class_id: uuid.UUID | None = None,
) -> tuple[list[TaxRate], bool]:
    where = []
    if country is not None:
        where.append(TaxRate.country == country)
    if tax_class_id is not None:
        where.append(TaxRate.tax_class_id == tax_class_id)
    return await resources.page(db, TaxRate, limit=limit, starting_after=starting_after, where=tuple(where))


async def get_rate(db: AsyncSession, rate_id: uuid.UUID, *, lock: bool = False) -> TaxRate:
    found = await resources.load(db, TaxRate, rate_id, lock=lock)
    if found is None:
        raise TaxRateNotFound()
    return found


async def create_rate(db: AsyncSession, body: TaxRateCreate, *, actor: Principal) -> TaxRate:
    if body.tax_class_id is not None and await resources.load(db, TaxClass, body.tax_class_id) is None:
        raise UnknownTaxClass(tax_class_id=str(body.tax_class_id))
    rate = TaxRate(**body.model_dump(), version=1)
    db.add(rate)
    await resources.flush(db, TaxRateExists())
    await resources.record(db, "tax_rate.created", rate, TaxRateRead, actor)
    return rate


async def update_rate(
    db: AsyncSession, rate_id: uuid.UUID, body: TaxRateUpdate, *, if_match: int | None, actor: Principal
) -> TaxRate:
    rate = await get_rate(db, rate_id, lock=True)
    resources.check_version(rate, if_match)
    resources.apply(rate, body.model_dump(exclude_unset=True))
    await resources.flush(db)
    await resources.record(db, "tax_rate.updated", rate, TaxRateRead, actor)
    return rate


async def delete_rate(db: AsyncSession, rate_id: uuid.UUID, *, if_match: int | None, actor: Principal) -> None:
    rate = await get_rate(db, rate_id, lock=True)
    resources.check_version(rate, if_match)
    await resources.record(db, "tax_rate.deleted", rate, TaxRateRead, actor)
    await db.delete(rate)
    await db.flush()
