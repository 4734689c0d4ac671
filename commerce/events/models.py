"""The tenant's event log: one row per committed change, written in the change's own transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column
from core.ids import new_id


class Event(TenantBase):
    """A change to a resource: its type (``product.updated``), the resource's id and version, and a JSON snapshot.

    ``sequence`` increases by one per event within the tenant, in commit order (see ``EventCounter``): a reader
    that remembers the last sequence it saw never misses an event committed after it looked.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "type", "sequence"),
        Index(None, "resource_id", "sequence"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[uuid.UUID]
    resource_version: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    actor_kind: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = created_at_column()


class EventCounter(TenantBase):
    """The tenant's last event sequence, in one row (created by the first event).

    Bumping it locks the row until the transaction ends, so a tenant's events take their sequence numbers in
    commit order and without gaps; a sequence object would hand out numbers at insert time, and a reader could
    see 8 committed before 7. The price: a tenant's event-writing transactions serialise from their first
    event to their commit, which is why services record events last, just before returning.
    """

    __tablename__ = "event_counters"
    __table_args__ = (CheckConstraint("id = 1", "single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
