"""Queries of tax classes and rates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.tax.models import TaxClass, TaxRate


async def rates_at(db: AsyncSession, country: str, subdivision: str | None) -> list[tuple[str | None, str, int]]:
    """(class code or None for the standard rates, name, bps) of every rate at the destination: the country's
    rates first, then the subdivision's (both apply)."""
    where_subdivision: ColumnElement[bool] = TaxRate.subdivision.is_(None)
    if subdivision is not None:
        where_subdivision = or_(where_subdivision, TaxRate.subdivision == subdivision)
    query = (
        select(TaxClass.code, TaxRate.name, TaxRate.rate_bps)
        .select_from(TaxRate)
        .outerjoin(TaxClass, TaxClass.id == TaxRate.tax_class_id)
        .where(TaxRate.country == country, where_subdivision)
        .order_by(TaxRate.subdivision.nulls_first(), TaxRate.name, TaxRate.id)
    )
    return [(code, name, rate_bps) for code, name, rate_bps in (await db.execute(query)).all()]


async def existing_codes(db: AsyncSession, codes: Sequence[str]) -> set[str]:
    return set(await db.scalars(select(TaxClass.code).where(TaxClass.code.in_(list(codes)))))


async def class_has_rates(db: AsyncSession, class_id: uuid.UUID) -> bool:
    return bool(await db.scalar(select(func.count()).select_from(TaxRate).where(TaxRate.tax_class_id == class_id)))
