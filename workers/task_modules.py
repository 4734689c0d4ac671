"""Every module that declares tasks: ``create_celery`` imports each, so a worker knows every task.

A new task module goes here (a test checks that the task table in docs/workers.md lists every task).
"""

from __future__ import annotations

TASK_MODULES = (
    "workers.tasks",
    "workers.mail.tasks",
    "workers.billing.tasks",
    "workers.catalog.tasks",
    "workers.customers.tasks",
    "workers.inventory.tasks",
    "workers.checkout.tasks",
    "workers.orders.tasks",
    "workers.idempotency.tasks",
)
