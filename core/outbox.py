"""The job outbox: queued jobs are rows of ``public.job_outbox``, written in the transaction that queued them.

A job therefore exists exactly when the change that queued it committed, whatever happens to the process
afterwards. A relay (``workers/relay.py``) hands due rows to the broker and marks them delivered; it claims
rows with a short lease (``next_attempt_at`` moved forward) in one transaction and publishes outside any
transaction, so no database connection waits on the broker. Delivery is at least once: a relay that dies
between the publish and the mark publishes that job again after the lease.

Statuses: ``pending`` (waiting for the relay), ``delivered`` (the broker took it; kept for
``outbox_retention_seconds``), ``deferred`` (its tenant was suspended when a worker received it; pending
again when the tenant resumes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Float, Index, Integer, String, Table, Text, Uuid, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import PublicBase, str_enum


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEFERRED = "deferred"


class OutboxJob(PublicBase):
    __tablename__ = "job_outbox"
    __table_args__ = (
        # The relay's scan: due pending jobs, oldest first.
        Index("ix_job_outbox_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_job_outbox_deferred_tenant", "tenant_id", postgresql_where=text("status = 'deferred'")),
        Index("ix_job_outbox_delivered_at", "delivered_at", postgresql_where=text("status = 'delivered'")),
    )
    # Also the Celery task id: a job published twice (at-least-once) has the same id both times.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # None for platform jobs. No foreign key: a job outlives nothing, and tenants are never deleted from the registry.
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    countdown: Mapped[float | None] = mapped_column(Float)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The database's clock, so that relays on hosts with skewed clocks agree on what is due.
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)

    # The server defaults are not needed after the insert: no RETURNING for them.
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012 - SQLAlchemy reads it once


_table: Table = OutboxJob.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: uuid.UUID
    name: str
    kwargs: dict[str, Any]
    tenant_id: uuid.UUID | None
    countdown: float | None
    attempts: int


# --- the relay's queries (sync: the relay runs on its own thread) ---------------------------------------


def claim_due(connection: Connection, *, limit: int, lease_seconds: float) -> list[ClaimedJob]:
    """Take up to ``limit`` due pending jobs for ``lease_seconds``; other relays skip them meanwhile."""
    due = (
        select(_table.c.id)
        .where(_table.c.status == OutboxStatus.PENDING.value, _table.c.next_attempt_at <= func.now())
        .order_by(_table.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = connection.execute(
        update(_table)
        .where(_table.c.id.in_(due))
        .values(next_attempt_at=func.now() + timedelta(seconds=lease_seconds), attempts=_table.c.attempts + 1)
        .returning(
            _table.c.id,
            _table.c.name,
            _table.c.kwargs,
            _table.c.tenant_id,
            _table.c.countdown,
            _table.c.attempts,
            _table.c.created_at,
        )
    )
    rows = sorted(claimed, key=lambda row: row.created_at)  # RETURNING keeps no order: oldest first
    return [ClaimedJob(*row[:6]) for row in rows]


def mark_delivered(connection: Connection, job_ids: list[uuid.UUID]) -> None:
    if job_ids:
        connection.execute(
            update(_table)
            .where(_table.c.id.in_(job_ids), _table.c.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.DELIVERED.value, delivered_at=func.now(), last_error=None)
        )


def retry_later(connection: Connection, job_ids: list[uuid.UUID], *, delay_seconds: float, error: str) -> None:
    if job_ids:
        connection.execute(
            update(_table)
            .where(_table.c.id.in_(job_ids), _table.c.status == OutboxStatus.PENDING.value)
            .values(next_attempt_at=func.now() + timedelta(seconds=delay_seconds), last_error=error[:2000])
        )


def seconds_until_next_due(connection: Connection) -> float | None:
    """How long until the earliest pending job is due (0 if one is due now), None if none is pending."""
    value = connection.scalar(
        select(func.extract("epoch", func.min(_table.c.next_attempt_at) - func.now())).where(
            _table.c.status == OutboxStatus.PENDING.value
        )
    )
    return None if value is None else max(0.0, float(value))


def purge_delivered(connection: Connection, *, older_than_seconds: float, limit: int) -> int:
    old = (
        select(_table.c.id)
        .where(
            _table.c.status == OutboxStatus.DELIVERED.value,
            _table.c.delivered_at < func.now() - timedelta(seconds=older_than_seconds),
        )
        .limit(limit)
        .scalar_subquery()
    )
    return connection.execute(delete(_table).where(_table.c.id.in_(old))).rowcount


# --- the tenant lifecycle's queries -----------------------------------------------------------------------


async def defer(
    db: AsyncSession,
    job_id: uuid.UUID,
    *,
    name: str,
    kwargs: dict[str, Any],
    tenant_id: uuid.UUID,
    reason: str,
) -> None:
    """Keep a job its tenant could not run now (suspended) for when the tenant resumes.

    The row is the job's own when it came from the outbox (same id); a job sent around the outbox gets one.
    """
    values = {
        "id": job_id,
        "name": name,
        "kwargs": kwargs,
        "tenant_id": tenant_id,
        "status": OutboxStatus.DEFERRED.value,
        "attempts": 0,
        "last_error": reason[:2000],
        "delivered_at": None,
    }
    statement = insert(_table).values(**values)
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[_table.c.id],
            set_={
                "status": statement.excluded.status,
                "delivered_at": None,
                "last_error": statement.excluded.last_error,
            },
        )
    )


async def release_deferred(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Make the tenant's deferred jobs due again (in the transaction that resumes it). Returns how many."""
    result = await db.execute(
        update(_table)
        .where(_table.c.tenant_id == tenant_id, _table.c.status == OutboxStatus.DEFERRED.value)
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=func.now(), attempts=0)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forget_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Drop every job of a tenant whose data is gone (purge)."""
    await db.execute(delete(_table).where(_table.c.tenant_id == tenant_id))


async def backlog(db: AsyncSession) -> tuple[int, float | None]:
    """Pending jobs and the age in seconds of the oldest one (readiness and operators)."""
    row = (
        await db.execute(
            select(func.count(), func.extract("epoch", func.now() - func.min(_table.c.created_at))).where(
                _table.c.status == OutboxStatus.PENDING.value
            )
        )
    ).one()
    return int(row[0]), (None if row[1] is None else float(row[1]))


def new_job_row(name: str, kwargs: dict[str, Any], tenant_id: uuid.UUID | None, countdown: float | None) -> OutboxJob:
    return OutboxJob(
        id=uuid.uuid4(),
        name=name,
        kwargs=kwargs,
        tenant_id=tenant_id,
        countdown=countdown,
        status=OutboxStatus.PENDING,
        attempts=0,
    )
