"""The Celery app factory and the tenant contract every task runs under.

* Publishing: a job's tenant travels in the ``tenant_id`` message header. ``CeleryDispatcher`` sets
  it from the job; the ``before_task_publish`` handler stamps it from the running task's tenant on
  every message that lacks one, so retries, chains, groups, chords and tasks sent from inside a task
  keep it.
* Running: ``task_prerun`` restores the tenant from the header (registry lookup: it must exist and be
  active) into ``current_tenant``; ``task_postrun`` clears it. A tenant task whose tenant is missing,
  unknown or inactive fails before its body runs, and never falls back to another schema.
* Flower and the logs show the tenant: it is prepended to the task's displayed kwargs.
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from contextvars import Token
from typing import Any, cast

from celery import Celery, Task
from celery.signals import before_task_publish, task_postrun, task_prerun

from commerce.checkout import webhooks as checkout_webhooks
from commerce.orders import webhooks as order_webhooks
from core import outbox
from core.jobs import Job
from core.logging import tenant_slug_var
from core.metrics import ProductMetrics
from core.settings import Settings
from tenants import repository as tenants_repository
from tenants.context import TenantContext, current_tenant
from tenants.errors import TaskTenantUnavailable
from tenants.models import TenantStatus
from workers.registry import TASKS
from workers.runtime import WorkerRuntime
from workers.task import RETRYABLE, TENANT_HEADER, CommerceTask, PlatformTask, tenant_failure
from workers.task_modules import TASK_MODULES

log = logging.getLogger(__name__)

# Set on messages of outbox jobs: a job its suspended tenant could not run is deferred until it resumes.
OUTBOX_HEADER = "outbox_job"
_TOKENS = "commerce_context_tokens"


# Publishing runs on the outbox relay's thread (workers/relay.py), never on a request: one attempt, bounded by
# the transport's socket timeouts; a failed publish stays in the outbox and is retried by the relay.
PUBLISH_RETRY = {"max_retries": 0}


class CeleryDispatcher:
    """Hands jobs to the broker, with the job's tenant in the headers. Called by the outbox relay and by tasks."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def dispatch(self, job: Job) -> None:
        headers = {TENANT_HEADER: str(job.tenant_id)} if job.tenant_id else {}
        if job.id is not None:
            headers[OUTBOX_HEADER] = "1"
        self.app.send_task(
            job.name,
            kwargs=job.kwargs,
            headers=headers,
            countdown=job.countdown,
            # An outbox job keeps its id as the task id: a job published twice (at least once) is recognisable.
            task_id=str(job.id) if job.id else None,
            # Nobody reads these results, and subscribing to them is what froze the API when Redis was down.
            ignore_result=True,
            retry_policy=PUBLISH_RETRY,
        )

    def reachable(self) -> None:
        """Connect to the broker once, within the publish bound; raise if it cannot be reached."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=self.app.conf.broker_connection_timeout)
            connection.default_channel  # noqa: B018 - opening a channel is what talks to the broker (Redis: PING)


def create_celery(settings: Settings, *, runtime: WorkerRuntime | None = None) -> Celery:
    """A Celery app with every declared task bound to it. No connection is made until it is used."""
    for module in TASK_MODULES:  # declares the tasks (no side effects beyond the declarations)
        importlib.import_module(module)
    # The payment, refund and dispute events' handlers live in commerce, which billing's inbox may not import:
    # registered here, in every process that receives (the API builds this app too) or processes (the worker)
    # Stripe events.
    checkout_webhooks.install()
    order_webhooks.install()

    broker = settings.celery.broker
    app = Celery("commerce", broker=broker, backend=_result_backend(settings, broker), set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=settings.celery.queue,
        task_time_limit=settings.celery.task_time_limit_seconds,
        task_soft_time_limit=settings.celery.task_soft_time_limit_seconds,
        task_track_started=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.celery.publish_timeout_seconds,
        broker_transport_options=_transport_options(settings, broker),
        result_expires=86_400,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "tenants.collect_usage": {
                "task": "tenants.fan_out",
                "schedule": settings.celery.usage_collection_interval_seconds,
                "kwargs": {"task_name": "tenants.collect_usage"},
            },
            # Checkout's reservations past their time give their stock back.
            "inventory.expire_reservations": {
                "task": "tenants.fan_out",
                "schedule": settings.celery.reservation_sweep_interval_seconds,
                "kwargs": {"task_name": "inventory.expire_reservations"},
            },
            # Idle carts expire; checkouts nobody paid give their intent up.
            "checkout.sweep": {
                "task": "tenants.fan_out",
                "schedule": settings.celery.cart_sweep_interval_seconds,
                "kwargs": {"task_name": "checkout.sweep"},
            },
            # Refunds committed pending but never acknowledged by Stripe are sent again under their key.
            "orders.resubmit_refunds": {
                "task": "tenants.fan_out",
                "schedule": settings.stripe.event_sweep_interval_seconds,
                "kwargs": {"task_name": "orders.resubmit_refunds"},
            },
            # Expired idempotency keys (docs/api.md#idempotency) are deleted: each tenant's, and the platform's.
            "idempotency.sweep_keys": {
                "task": "tenants.fan_out",
                "schedule": settings.celery.idempotency_sweep_interval_seconds,
                "kwargs": {"task_name": "idempotency.sweep_keys"},
            },
            "idempotency.sweep_platform_keys": {
                "task": "idempotency.sweep_platform_keys",
                "schedule": settings.celery.idempotency_sweep_interval_seconds,
            },
            # The webhook inbox's safety net: events whose processing job was lost are queued again.
            "billing.retry_pending_events": {
                "task": "billing.retry_pending_events",
                "schedule": settings.stripe.event_sweep_interval_seconds,
            },
        },
    )
    dispatcher = CeleryDispatcher(app)
    app.commerce_metrics = ProductMetrics()  # type: ignore[attr-defined]
    app.commerce_runtime = runtime or WorkerRuntime(settings)  # type: ignore[attr-defined]
    app.commerce_dispatcher = dispatcher  # type: ignore[attr-defined]
    retry_policy = {
        "autoretry_for": RETRYABLE,
        "retry_backoff": True,
        "retry_backoff_max": settings.celery.retry_backoff_max_seconds,
        "retry_jitter": True,
        "max_retries": settings.celery.max_retries,
    }
    for spec in TASKS.values():
        base = CommerceTask if spec.tenant else PlatformTask
        app.task(name=spec.name, base=base, bind=True, **{**retry_policy, **spec.options})(spec.function)  # type: ignore[no-untyped-call]
    _connect_signals()
    return app


def metrics_of(app: Celery) -> ProductMetrics:
    return cast(ProductMetrics, app.commerce_metrics)  # type: ignore[attr-defined]


def dispatcher_of(app: Celery) -> CeleryDispatcher:
    return cast(CeleryDispatcher, app.commerce_dispatcher)  # type: ignore[attr-defined]


def _transport_options(settings: Settings, broker: str) -> dict[str, Any]:
    """One reconnection attempt per publish; with Redis, socket timeouts too: a broker that accepts connections and
    never answers must not hang a publish (or a consumer) forever. kombu requires the Redis socket timeout to exceed
    its BRPOP timeout (1 s). RabbitMQ's client has its own (``broker_connection_timeout``, heartbeats)."""
    options: dict[str, Any] = {"max_retries": 1}
    if broker.startswith(("redis://", "rediss://")):
        options["socket_connect_timeout"] = settings.celery.publish_timeout_seconds
        options["socket_timeout"] = max(settings.celery.publish_timeout_seconds, 2.0)
    return options


def _result_backend(settings: Settings, broker: str) -> str:
    if settings.celery.result_backend:
        return settings.celery.result_backend
    return broker if broker.startswith(("redis://", "rediss://")) else "cache+memory://"


# --- the tenant contract -----------------------------------------------------------------------------


def _stamp_tenant(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is None:
        return
    tenant = current_tenant.get()
    if not headers.get(TENANT_HEADER) and tenant is not None:
        headers[TENANT_HEADER] = str(tenant.id)
    if headers.get(TENANT_HEADER):
        headers["kwargsrepr"] = f"tenant={headers[TENANT_HEADER]} {headers.get('kwargsrepr') or ''}".strip()


def _restore_tenant(task: Task | None = None, **_: Any) -> None:  # type: ignore[type-arg]
    if not isinstance(task, CommerceTask):
        return
    tokens: list[Token[Any]] = [tenant_failure.set(None)]
    if task.tenant_required:
        raw = task.request.get(TENANT_HEADER)
        try:
            tenant = _load_active_tenant(task, raw) if raw else None
            tokens += [current_tenant.set(tenant), tenant_slug_var.set(tenant.slug if tenant else None)]
        except Exception as failure:  # unknown or inactive tenant, or the registry unreachable (retried)
            tokens += [current_tenant.set(None), tenant_slug_var.set(None)]
            tenant_failure.set(failure)
    setattr(task.request, _TOKENS, tokens)


def _clear_tenant(task: Task | None = None, **_: Any) -> None:  # type: ignore[type-arg]
    tokens: list[Token[Any]] = getattr(task.request, _TOKENS, []) if task is not None else []
    for token in reversed(tokens):
        token.var.reset(token)


def _load_active_tenant(task: CommerceTask, raw: str) -> TenantContext:
    try:
        tenant_id = uuid.UUID(raw)
    except ValueError as exc:
        raise TaskTenantUnavailable(f"malformed tenant id {raw!r}") from exc
    tenant = task.runtime.in_public(lambda db: tenants_repository.get(db, tenant_id))
    if tenant is None:
        raise TaskTenantUnavailable(f"tenant {tenant_id} does not exist")
    if tenant.status is TenantStatus.SUSPENDED and task.request.get(OUTBOX_HEADER) and task.request.id:
        # A job the tenant's own activity queued: kept in the outbox and run again when the tenant resumes.
        reason = f"tenant {tenant.slug} is suspended"
        job_id, kwargs = uuid.UUID(task.request.id), dict(task.request.kwargs or {})
        task.runtime.in_public(
            lambda db: outbox.defer(db, job_id, name=task.name, kwargs=kwargs, tenant_id=tenant_id, reason=reason)
        )
        raise TaskTenantUnavailable(f"{reason}: the job is deferred until it resumes")
    if tenant.status is not TenantStatus.ACTIVE:
        raise TaskTenantUnavailable(f"tenant {tenant.slug} is {tenant.status.value}")
    return TenantContext.of(tenant)


# --- metrics: counts and durations by task name and outcome (never by tenant) -------------------------

_STARTED = "commerce_started_at"
_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}


def _start_clock(task: Task | None = None, **_: Any) -> None:  # type: ignore[type-arg]
    if isinstance(task, CommerceTask):
        setattr(task.request, _STARTED, time.perf_counter())


def _count_task(task: Task | None = None, state: str | None = None, **_: Any) -> None:  # type: ignore[type-arg]
    if not isinstance(task, CommerceTask):
        return
    metrics = metrics_of(task.app)
    metrics.tasks.labels(task=task.name, outcome=_OUTCOMES.get(state or "", "other")).inc()
    started = getattr(task.request, _STARTED, None)
    if started is not None:
        metrics.task_duration.labels(task=task.name).observe(time.perf_counter() - started)


def _connect_signals() -> None:
    before_task_publish.connect(_stamp_tenant, weak=False, dispatch_uid="commerce.stamp_tenant")
    task_prerun.connect(_restore_tenant, weak=False, dispatch_uid="commerce.restore_tenant")
    task_prerun.connect(_start_clock, weak=False, dispatch_uid="commerce.start_clock")
    task_postrun.connect(_clear_tenant, weak=False, dispatch_uid="commerce.clear_tenant")
    task_postrun.connect(_count_task, weak=False, dispatch_uid="commerce.count_task")
