"""Task declarations: plain functions with their explicit names, bound to a Celery app by ``create_celery``.

Declaring a task has no side effect; nothing needs an app at import. Every task is either a tenant
task (it runs for exactly one tenant, restored from the message headers) or a platform task
(declared as such: it runs for no tenant).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    function: Callable[..., Any]
    tenant: bool
    options: dict[str, Any] = field(default_factory=dict)


TASKS: dict[str, TaskSpec] = {}


def _declare(name: str, *, tenant: bool, idempotent: bool, options: dict[str, Any]) -> Callable[[F], F]:
    if idempotent:
        # Safe to run twice, so acknowledge after running: a worker lost mid-task leaves the message queued.
        options = {"acks_late": True, "reject_on_worker_lost": True, **options}

    def register(function: F) -> F:
        if name in TASKS:
            raise ValueError(f"task {name!r} is declared twice")
        TASKS[name] = TaskSpec(name=name, function=function, tenant=tenant, options=options)
        return function

    return register


def tenant_task(name: str, *, idempotent: bool = False, **options: Any) -> Callable[[F], F]:
    """A task that runs for the tenant in its message headers, and fails if there is none."""
    return _declare(name, tenant=True, idempotent=idempotent, options=options)


def platform_task(name: str, *, idempotent: bool = False, **options: Any) -> Callable[[F], F]:
    """A task that works across tenants or on shared data, with no tenant of its own."""
    return _declare(name, tenant=False, idempotent=idempotent, options=options)
