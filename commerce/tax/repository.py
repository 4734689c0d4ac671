"""Queries of tax classes and rates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.tax.models import TaxClass, TaxRate
from core.pagination import after_row


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


async def get_class(db: AsyncSession, class_id: uuid.UUID, *, lock: bool = False) -> TaxClass | None:
    query = select(TaxClass).where(TaxClass.id == class_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found: TaxClass | None = await db.scalar(query)
    return found


async def list_classes(db: AsyncSession, limit: int, *, after: TaxClass | None) -> list[TaxClass]:
    query = select(TaxClass).order_by(TaxClass.created_at, TaxClass.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_row(TaxClass.created_at, TaxClass.id, after))
    return list(await db.scalars(query))


async def class_has_rates(db: AsyncSession, class_id: uuid.UUID) -> bool:
    return bool(await db.scalar(select(func.count()).select_from(TaxRate).where(TaxRate.tax_class_id == class_id)))


async def get_rate(db: AsyncSession, rate_id: uuid.UUID, *, lock: bool = False) -> TaxRate | None:
    query = select(TaxRate).where(TaxRate.id == rate_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found: TaxRate | None = await db.scalar(query)
    return found


async def list_rates(
    db: AsyncSession,
    limit: int,
    *,
    after: TaxRate | None,
    country: str | None = None,
    tax_class_id: uuid.UUID | None = None,
) -> list[TaxRate]:
    query = select(TaxRate).order_by(TaxRate.created_at, TaxRate.id).limit(limit + 1)
    if country is not None:
        query = query.where(TaxRate.country == country)
    if tax_class_id is not None:
        query = query.where(TaxRate.tax_class_id == tax_class_id)
    if after is not None:
        query = query.where(after_row(TaxRate.created_at, TaxRate.id, after))
    return list(await db.scalars(query))
