"""The fleet migration runner behind ``commerce migrate``.

1. The ``public`` environment is migrated first, once.
2. The plan is one registry query: tenants with a schema whose recorded revision is not the
   target. Tenants already at the target are never opened.
3. Each behind tenant is migrated in its own transaction, in parallel with bounded concurrency:
   lock its registry row, check the schema's own ``alembic_version`` agrees with the registry,
   apply the rendered upgrade SQL, record the new revision in the registry, commit. The DDL and
   the recorded revision commit together or not at all.
4. A failing tenant is rolled back and reported; the others carry on. Re-running resumes: the
   plan only holds tenants still behind.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, exists, select, table, update

from core.db import ROLE_SUFFIX, set_transaction_search_path
from core.sqlscript import run_statements
from tenants.ddl import PUBLIC_SCRIPTS, TenantMigrations, alembic_config
from tenants.models import Tenant
from tenants.roles import public_grant_statements, tenant_role_statements


@dataclass(frozen=True, slots=True)
class PendingTenant:
    id: uuid.UUID
    slug: str
    schema_name: str
    revision: str | None


@dataclass(frozen=True, slots=True)
class FleetPlan:
    target: str
    pending: list[PendingTenant]
    up_to_date: int


@dataclass(frozen=True, slots=True)
class TenantOutcome:
    tenant: PendingTenant
    from_revision: str | None
    to_revision: str
    seconds: float
    error: str | None = None
    skipped: bool = False  # already at the target when its turn came (another runner got there first)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class FleetReport:
    target: str
    up_to_date: int
    outcomes: list[TenantOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def migrated(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes if o.ok and not o.skipped]

    @property
    def failed(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes if not o.ok]


_PG_ROLES = table("pg_roles", column("rolname"), schema="pg_catalog")


def error_line(exc: BaseException) -> str:
    """How a tenant's failure is reported: the exception's class and the first line of its message."""
    text = str(exc)
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


class NotAnUpgrade(Exception):
    """The fleet runner only moves schemas forward (expand, then contract); a downgrade is a new migration."""


class RevisionDrift(Exception):
    """The schema's own version table disagrees with the registry: someone migrated it by hand."""


def public_revisions(engine: Engine) -> tuple[str | None, str]:
    """(the revision the public schema is at, or None before its first migration; the head it should be at)."""
    head = ScriptDirectory.from_config(alembic_config(PUBLIC_SCRIPTS)).get_current_head()
    if head is None:
        raise RuntimeError("no public migrations")
    with engine.connect() as connection:
        current = MigrationContext.configure(connection, opts={"version_table_schema": "public"}).get_current_revision()
    return current, head


def migrate_public(engine: Engine) -> None:
    """Bring the shared ``public`` schema to its head (Alembic, online, one transaction), with the read-only
    grants of tenant roles on the public tables a tenant request reads (``tenants.roles``)."""
    with engine.connect() as connection:
        command.upgrade(alembic_config(PUBLIC_SCRIPTS, connection=connection), "head")
        connection.commit()
    with engine.begin() as connection:
        run_statements(connection.connection.driver_connection, public_grant_statements())  # type: ignore[arg-type]


class FleetMigrator:
    def __init__(
        self,
        engine: Engine,
        migrations: TenantMigrations | None = None,
        *,
        concurrency: int = 4,
        lock_timeout_ms: int = 5_000,
    ) -> None:
        self.engine = engine
        self.migrations = migrations or TenantMigrations()
        self.concurrency = max(1, concurrency)
        self.lock_timeout_ms = lock_timeout_ms

    def plan(self, *, target: str = "head", slug: str | None = None) -> FleetPlan:
        """Which tenants are behind ``target``, from the registry alone."""
        target_revision = self.migrations.resolve(target)
        query = select(Tenant.id, Tenant.slug, Tenant.schema_name, Tenant.schema_revision).where(Tenant.has_schema())
        if slug is not None:
            query = query.where(Tenant.slug == slug)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(Tenant.created_at, Tenant.id)).all()
        pending = [PendingTenant(*row) for row in rows if row.schema_revision != target_revision]
        return FleetPlan(target=target_revision, pending=pending, up_to_date=len(rows) - len(pending))

    def without_role(self, *, slug: str | None = None) -> list[PendingTenant]:
        """Tenants with a schema but no role yet (built before roles existed), from one query."""
        query = select(Tenant.id, Tenant.slug, Tenant.schema_name, Tenant.schema_revision).where(
            Tenant.has_schema(), ~exists().where(_PG_ROLES.c.rolname == Tenant.schema_name + ROLE_SUFFIX)
        )
        if slug is not None:
            query = query.where(Tenant.slug == slug)
        with self.engine.connect() as connection:
            return [PendingTenant(*row) for row in connection.execute(query.order_by(Tenant.created_at, Tenant.id))]

    def ensure_roles(self, tenants: list[PendingTenant]) -> list[TenantOutcome]:
        """Give each of ``tenants`` its role and grants (one transaction each); failures are reported, not raised."""
        outcomes: list[TenantOutcome] = []
        for tenant in tenants:
            started, error = time.perf_counter(), None
            try:
                with self.engine.begin() as connection:
                    statements = tenant_role_statements(tenant.schema_name)
                    run_statements(connection.connection.driver_connection, statements)  # type: ignore[arg-type]
            except Exception as exc:
                error = error_line(exc)
            revision = tenant.revision or ""  # the schema stays where it is
            outcomes.append(TenantOutcome(tenant, tenant.revision, revision, time.perf_counter() - started, error))
        return outcomes

    def run(self, plan: FleetPlan, on_outcome: Callable[[TenantOutcome], None] | None = None) -> FleetReport:
        """Migrate every pending tenant; never raises for a tenant's failure (it is in the report)."""
        started = time.perf_counter()
        report = FleetReport(target=plan.target, up_to_date=plan.up_to_date)
        for outcome in self._outcomes(plan):
            report.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
        report.seconds = time.perf_counter() - started
        return report

    def _outcomes(self, plan: FleetPlan) -> Iterator[TenantOutcome]:
        if self.concurrency == 1 or len(plan.pending) <= 1:
            for tenant in plan.pending:
                yield self._migrate_one(tenant, plan.target)
            return
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="migrate") as pool:
            futures = [pool.submit(self._migrate_one, tenant, plan.target) for tenant in plan.pending]
            for future in as_completed(futures):
                yield future.result()

    def _migrate_one(self, tenant: PendingTenant, target: str) -> TenantOutcome:
        started = time.perf_counter()
        from_revision = tenant.revision
        try:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(
                    "SELECT set_config('lock_timeout', %(ms)s, true)", {"ms": f"{self.lock_timeout_ms}ms"}
                )
                # The registry row is the lock: two runners never migrate one tenant at once.
                from_revision = connection.execute(
                    select(Tenant.schema_revision).where(Tenant.id == tenant.id).with_for_update()
                ).scalar_one()
                if from_revision == target:
                    return TenantOutcome(tenant, from_revision, target, time.perf_counter() - started, skipped=True)
                if not self.migrations.is_upgrade(from_revision, target):
                    raise NotAnUpgrade(f"{target} is not a later revision than {from_revision}; downgrades are not run")
                set_transaction_search_path(connection, tenant.schema_name)
                recorded = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                if recorded != from_revision:
                    raise RevisionDrift(f"schema is at {recorded!r} but the registry says {from_revision!r}")
                # new tables get their grants in the same transaction; a tenant without a role yet gets one
                statements = (
                    *self.migrations.upgrade_statements(from_revision, target),
                    *tenant_role_statements(tenant.schema_name),
                )
                run_statements(connection.connection.driver_connection, statements)  # type: ignore[arg-type]
                connection.execute(update(Tenant).where(Tenant.id == tenant.id).values(schema_revision=target))
        except Exception as exc:
            error = error_line(exc)
            return TenantOutcome(tenant, from_revision, target, time.perf_counter() - started, error=error)
        return TenantOutcome(tenant, from_revision, target, time.perf_counter() - started)
