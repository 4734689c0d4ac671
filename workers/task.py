"""The base of every task: a tenant task runs for the tenant of its message, and refuses to run without one.

Task modules import this (never ``workers.app``), so the app can import the task modules without a cycle.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, ClassVar, Protocol, cast

from celery import Celery, Task
from sqlalchemy.exc import InterfaceError, OperationalError

from core.jobs import Job, RetryLater
from tenants.context import TenantContext, current_tenant
from tenants.errors import TaskTenantMissing
from workers.runtime import WorkerRuntime

TENANT_HEADER = "tenant_id"
# Failures worth another try: the database or a third party was briefly unreachable.
RETRYABLE = (RetryLater, OperationalError, InterfaceError)

# Why the running task's tenant could not be restored, raised by ``CommerceTask.__call__``.
tenant_failure: ContextVar[Exception | None] = ContextVar("tenant_failure", default=None)


class JobPublisher(Protocol):
    def dispatch(self, job: Job) -> None: ...


class CommerceTask(Task):  # type: ignore[type-arg]
    """Base of every task. Tenant tasks refuse to run without their tenant."""

    tenant_required: ClassVar[bool] = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.tenant_required and current_tenant.get() is None:
            failure = tenant_failure.get()
            if isinstance(failure, RETRYABLE):  # the registry was unreachable: try again later, same tenant
                raise self.retry(exc=failure)
            raise failure or TaskTenantMissing(f"task {self.name} has no {TENANT_HEADER} header")
        return super().__call__(*args, **kwargs)

    @property
    def runtime(self) -> WorkerRuntime:
        return runtime_of(self.app)

    @property
    def publisher(self) -> JobPublisher:
        """Sends jobs straight to the broker, tenant in the headers (the app's ``CeleryDispatcher``)."""
        return cast(JobPublisher, self.app.commerce_dispatcher)  # type: ignore[attr-defined]

    @property
    def tenant(self) -> TenantContext:
        tenant = current_tenant.get()
        if tenant is None:
            raise TaskTenantMissing(f"task {self.name} has no tenant")
        return tenant


class PlatformTask(CommerceTask):
    tenant_required = False


def runtime_of(app: Celery) -> WorkerRuntime:
    return cast(WorkerRuntime, app.commerce_runtime)  # type: ignore[attr-defined]
