"""What a task needs to run our async services: an event loop and a database per worker thread.

Tasks are synchronous Celery functions; each worker thread keeps one ``asyncio.Runner`` and one
``Database`` for its lifetime, so pooled connections stay on the loop that opened them.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from auth.runtime import AuthRuntime
from billing.gateway import StripeGateway
from core.clock import utcnow
from core.db import Database
from core.jobs import outbox_session_info
from core.settings import Settings
from tenants.context import TenantContext, tenant_session

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock: Callable[[], datetime] = utcnow  # what tasks take as "now" (tests move it instead of sleeping)
        self._local = threading.local()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        runner: asyncio.Runner | None = getattr(self._local, "runner", None)
        if runner is None:
            runner = self._local.runner = asyncio.Runner()
        return runner.run(work)

    @cached_property
    def auth(self) -> AuthRuntime:
        """Keyed hashes of the tokens tasks issue (invitation and password-reset links); built once per process."""
        return AuthRuntime.build(self.settings)

    @property
    def database(self) -> Database:
        database: Database | None = getattr(self._local, "database", None)
        if database is None:
            # One pool per thread (a thread runs one task at a time): configure workers with a small pool,
            # e.g. COMMERCE_DB__POOL_SIZE=1 and COMMERCE_DB__MAX_OVERFLOW=1 as the Helm chart does.
            database = self._local.database = Database(self.settings.db, session_info=outbox_session_info())
        return database

    @functools.cached_property
    def stripe(self) -> StripeGateway:
        """The Stripe gateway (``BillingNotConfigured`` without a secret key). It keeps one client per event loop."""
        return StripeGateway(self.settings.stripe)

    def in_tenant(self, tenant: TenantContext, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction routed to ``tenant`` and commit it (with the jobs it queued).

        Tasks keep the runtime role (not the tenant's, see docs/tenancy.md#a-database-role-per-tenant): they
        write the platform's own records of a tenant in ``public`` (usage snapshots, Stripe accounts and
        events), which a tenant role may only read.
        """

        async def unit_of_work() -> T:
            async with tenant_session(self.database, tenant, tenant_role=False) as db:
                result = await work(db)
                await db.commit()
                return result

        return self.run(unit_of_work())

    def in_public(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction on the shared tables."""

        async def unit_of_work() -> T:
            async with self.database.public_session() as db:
                result = await work(db)
                await db.commit()
                return result

        return self.run(unit_of_work())

    def close(self) -> None:
        database: Database | None = getattr(self._local, "database", None)
        runner: asyncio.Runner | None = getattr(self._local, "runner", None)
        if runner is not None and "stripe" in self.__dict__:  # a gateway this thread built: close its connections
            runner.run(self.stripe.aclose())
        if database is not None and runner is not None:
            runner.run(database.dispose())
        if runner is not None:
            runner.close()
        self._local.__dict__.clear()
