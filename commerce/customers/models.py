"""The merchant's customers: the ``customers`` table (shared with the shoppers' sign-in, ``auth.customers``),
their addresses and their GDPR data exports."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from auth.customers.models import Customer
from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class CustomerAddress(TenantBase):
    """One of a customer's addresses. At most one per customer is the default shipping address and at most
    one the default billing address (partial unique indexes back the service's rule)."""

    __tablename__ = "customer_addresses"
    __table_args__ = (
        Index(None, "customer_id", "created_at", "id"),
        Index(
            "uq_customer_addresses_default_shipping",
            "customer_id",
            unique=True,
            postgresql_where=text("is_default_shipping"),
        ),
        Index(
            "uq_customer_addresses_default_billing",
            "customer_id",
            unique=True,
            postgresql_where=text("is_default_billing"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country_code: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_default_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ExportStatus(StrEnum):
    PENDING = "pending"  # queued; a job that fails is retried, and the export stays pending meanwhile
    SUCCEEDED = "succeeded"


class CustomerDataExport(TenantBase):
    """A GDPR data export of one customer, built by a background job; ``document`` holds the result.

    The document is itself personal data: erasing the customer deletes their exports.
    """

    __tablename__ = "customer_data_exports"
    __table_args__ = (Index(None, "customer_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[ExportStatus] = mapped_column(str_enum(ExportStatus), default=ExportStatus.PENDING)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    requested_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = ["Customer", "CustomerAddress", "CustomerDataExport", "ExportStatus"]
