"""Tax classes and tax rates.

A variant's ``tax_class`` (free text on the catalog) names a tax class by ``code``. A variant without one, or
with a code no class has, is taxed at the standard rates: the rates whose ``tax_class_id`` is null. Shipping is
taxed at the rates of the class with code ``shipping`` if the shop has one, else at the standard rates.

A rate applies in one country, or in one subdivision of it; at a destination in a subdivision the country's
rate and the subdivision's rate both apply and add up (US style: state tax on top of none, Canada's PST on top
of GST), each as its own tax line.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, updated_at_column
from core.ids import new_id

SHIPPING_TAX_CLASS = "shipping"


class TaxClass(TenantBase):
    __tablename__ = "tax_classes"
    __table_args__ = (Index(None, "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class TaxRate(TenantBase):
    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("tax_class_id", "country", "subdivision", postgresql_nulls_not_distinct=True),
        CheckConstraint("rate_bps BETWEEN 0 AND 10000", "rate_bps"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", "country"),
        Index(None, "country", "subdivision"),
        Index(None, "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Null: the standard rate (variants without a tax class). A class with rates cannot be deleted.
    tax_class_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tax_classes.id", ondelete="RESTRICT"))
    country: Mapped[str] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(100))
    rate_bps: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
