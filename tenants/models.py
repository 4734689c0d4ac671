"""The tenant registry: the only tenant-shaped data in ``public``."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, DateTime, ForeignKey, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column

from core.db import PublicBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class TenantStatus(StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETING = "deleting"  # soft-deleted: unreachable, schema kept until an explicit purge
    DELETED = "deleted"  # purged: schema dropped, registry row kept for the record
    FAILED = "failed"  # provisioning did not finish


# Statuses whose schema may exist and must follow the fleet's migrations. A tenant whose provisioning
# failed has no recorded revision (and no schema), whatever its status; see ``has_schema``.
SCHEMA_STATUSES = (TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.DELETING)


class Tenant(PublicBase):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("status IN ('provisioning', 'active', 'suspended', 'deleting', 'deleted', 'failed')", "status"),
        CheckConstraint("schema_name ~ '^t_[a-z0-9_]{1,60}$'", "schema_name"),
        CheckConstraint("slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'", "slug"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    schema_name: Mapped[str] = mapped_column(String(63), unique=True)
    status: Mapped[TenantStatus] = mapped_column(str_enum(TenantStatus), index=True)
    plan: Mapped[str] = mapped_column(String(50), default="standard")
    # The tenant schema's Alembic revision, written in the same transaction as the DDL that reached it.
    schema_revision: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Usage, refreshed by the periodic ``tenants.collect_usage`` job (plans and billing read it).
    active_staff_count: Mapped[int | None] = mapped_column(Integer)
    usage_collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @classmethod
    def has_schema(cls) -> ColumnElement[bool]:
        """Tenants whose schema was built (provisioning records the revision with the schema) and not purged."""
        return and_(cls.status.in_(SCHEMA_STATUSES), cls.schema_revision.is_not(None))


class TenantDomain(PublicBase):
    __tablename__ = "tenant_domains"
    __table_args__ = (CheckConstraint("host = lower(host)", "host_lowercase"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = created_at_column()
