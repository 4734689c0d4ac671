"""Catalog task adapters: each parses its message and calls the import service."""

from __future__ import annotations

import uuid

from commerce.catalog import imports
from core.errors import Problem
from workers.registry import tenant_task
from workers.task import CommerceTask


# Idempotent: a finished import is skipped, and an unfinished one left nothing behind (its work is one
# transaction), so a redelivered message simply runs it again.
@tenant_task("catalog.run_import", idempotent=True)
def run_import(task: CommerceTask, import_id: str) -> str:
    tenant, key = task.tenant, uuid.UUID(import_id)
    if not task.runtime.in_tenant(tenant, lambda db: imports.start_import(db, key)):
        return "skipped"
    try:
        result = task.runtime.in_tenant(tenant, lambda db: imports.execute_import(db, key))
    except Problem as problem:  # the file itself is unusable (encoding, header, size): the import failed, not the job
        reason = problem.detail or problem.title
        task.runtime.in_tenant(tenant, lambda db: imports.fail_import(db, key, reason))
        return "failed"
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        task.runtime.in_tenant(tenant, lambda db: imports.fail_import(db, key, reason))
        raise
    return result.status.value
