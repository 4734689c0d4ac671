"""Queueing background jobs from services, delivered only after the unit of work commits.

Services call ``enqueue(db, "mail.send_welcome", owner_email=...)``. The job is handed to the
process's dispatcher (Celery, wired by ``workers``) when ``db``'s transaction commits, and dropped
if it rolls back. A job queued on a tenant-scoped session carries that session's tenant; the
dispatcher puts it in the message headers. Domain code never imports Celery.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import on_commit, session_tenant_id


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    tenant_id: uuid.UUID | None = None  # None only for platform-level jobs
    countdown: float | None = None


class JobDispatcher(Protocol):
    def dispatch(self, job: Job) -> None: ...


class NoDispatcher:
    """Refuses every job: a process that queues work must be wired to a broker."""

    def dispatch(self, job: Job) -> None:
        raise RuntimeError(f"job {job.name!r} queued, but this process has no job dispatcher")


_DISPATCHER_KEY = "job_dispatcher"


def enqueue(
    db: AsyncSession,
    name: str,
    *,
    countdown: float | None = None,
    for_tenant: uuid.UUID | None = None,
    **kwargs: Any,
) -> Job:
    """Queue ``name`` with JSON-serialisable ``kwargs``, for delivery after ``db`` commits.

    The job belongs to the tenant ``db`` is scoped to; on an unscoped session it is a platform job,
    unless ``for_tenant`` names the tenant it belongs to (shared-table work that routes to a tenant,
    such as an inbound webhook). A scoped session never queues work for another tenant.
    """
    tenant_id = session_tenant_id(db)
    if for_tenant is not None:
        if tenant_id is not None and tenant_id != for_tenant:
            raise ValueError(f"job {name!r} queued for tenant {for_tenant} on a session of tenant {tenant_id}")
        tenant_id = for_tenant
    job = Job(name=name, kwargs=kwargs, tenant_id=tenant_id, countdown=countdown)
    dispatcher: JobDispatcher = db.sync_session.info.get(_DISPATCHER_KEY) or NoDispatcher()
    on_commit(db, lambda: dispatcher.dispatch(job))
    return job


def dispatcher_session_info(dispatcher: JobDispatcher | None) -> dict[str, Any]:
    """The session ``info`` entries that route ``enqueue`` to ``dispatcher``."""
    return {_DISPATCHER_KEY: dispatcher} if dispatcher is not None else {}


class RetryLater(Exception):
    """Raised by a job when a dependency is briefly unavailable: the worker retries it with backoff."""
