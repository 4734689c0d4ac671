"""Queueing background jobs from services: durable, and delivered only after the unit of work commits.

Services call ``enqueue(db, "mail.send_welcome", staff_id=...)``. The job becomes a row of the outbox
(``core/outbox.py``) in ``db``'s own transaction: it exists exactly when the change that queued it committed,
and vanishes with a rollback. After the commit, the relays of this process are woken (an in-memory signal,
no I/O) and hand it to the broker off the request path (``workers/relay.py``). A job queued on a
tenant-scoped session carries that session's tenant; the relay puts it in the message headers. Domain code
never imports Celery, and nothing here touches the broker.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.db import on_commit, session_tenant_id


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    tenant_id: uuid.UUID | None = None  # None only for platform jobs
    countdown: float | None = None
    id: uuid.UUID | None = None  # the outbox row (and Celery task id) of a job queued through the outbox


class JobsNotConfigured(RuntimeError):
    """``enqueue`` on a session whose ``Database`` was not built to queue jobs: refused at once, never lost later."""


_OUTBOX_KEY = "job_outbox"


def outbox_session_info() -> dict[str, Any]:
    """The session ``info`` entries that let ``enqueue`` write to the outbox (``Database(..., session_info=...)``)."""
    return {_OUTBOX_KEY: True}


def enqueue(
    db: AsyncSession,
    name: str,
    *,
    countdown: float | None = None,
    for_tenant: uuid.UUID | None = None,
    **kwargs: Any,
) -> Job:
    """Queue ``name`` with JSON-serialisable ``kwargs``, in ``db``'s transaction, for delivery after it commits.

    The job belongs to the tenant ``db`` is scoped to; on an unscoped session it is a platform job,
    unless ``for_tenant`` names the tenant it belongs to (shared-table work that routes to a tenant,
    such as an inbound webhook). A scoped session never queues work for another tenant. Raises
    ``JobsNotConfigured`` at once if ``db``'s ``Database`` was built without the outbox.
    """
    if not db.sync_session.info.get(_OUTBOX_KEY):
        raise JobsNotConfigured(
            f"job {name!r} queued on a session that cannot queue jobs: build its Database with "
            "session_info=core.jobs.outbox_session_info()"
        )
    tenant_id = session_tenant_id(db)
    if for_tenant is not None:
        if tenant_id is not None and tenant_id != for_tenant:
            raise ValueError(f"job {name!r} queued for tenant {for_tenant} on a session of tenant {tenant_id}")
        tenant_id = for_tenant
    row = outbox.new_job_row(name, kwargs, tenant_id, countdown)
    db.add(row)  # inserted by the commit's flush, in the same transaction as the change
    on_commit(db, wake_relays)
    return Job(name=name, kwargs=kwargs, tenant_id=tenant_id, countdown=countdown, id=row.id)


async def release_deferred(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    """In the transaction that resumes a tenant: its deferred jobs are due again once it commits."""
    released = await outbox.release_deferred(db, tenant_id)
    if released:
        on_commit(db, wake_relays)
    return released


async def forget_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    """In the transaction that purges a tenant: its jobs (deferred or not yet delivered) go with its data."""
    await outbox.forget_tenant(db, tenant_id)


# --- waking this process's relays after a commit (no I/O: safe on the event loop) -------------------------

_wakers: set[Callable[[], None]] = set()
_wakers_lock = threading.Lock()


def add_relay_waker(wake: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.add(wake)


def remove_relay_waker(wake: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.discard(wake)


def wake_relays() -> None:
    """Tell this process's relays that jobs were committed (they also poll, for jobs of other processes)."""
    with _wakers_lock:
        wakers = list(_wakers)
    for wake in wakers:
        wake()


class RetryLater(Exception):
    """Raised by a job when a dependency is briefly unavailable: the worker retries it with backoff."""
