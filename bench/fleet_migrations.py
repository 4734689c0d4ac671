"""Fleet migrations over the whole fleet: a run with nothing to do, and a one-column migration.

Both drive ``tenants.fleet`` the way ``commerce migrate`` does (``cli/migrate.py::migrate_all``): a sync
engine with ``concurrency + 1`` connections, ``migrate_public``, one registry query for the plan, then
the runner. The one-column migration lives in a copy of ``migrations/tenant`` with two extra
revisions on top of the product's head (``bench1`` for the run at concurrency 1, ``bench2`` for the run
at concurrency 4), so the product's own scripts are untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from bench.common import REPO_ROOT, Row, child_environment, log, median, ms, verdict
from core.db import create_sync_db_engine, quote_schema, set_transaction_search_path
from core.settings import DatabaseSettings
from tenants.ddl import TENANT_SCRIPTS, TenantMigrations
from tenants.fleet import FleetMigrator, FleetReport, migrate_public
from tenants.models import SCHEMA_STATUSES, Tenant

NOOP_TARGET_SECONDS = 3.0  # DESIGN.md section 7, at 10,000 tenants
ONE_COLUMN_TARGET_SECONDS = 30.0  # DESIGN.md section 7, at 10,000 tenants

_REVISION = '''"""Bench: one nullable column on shop_settings.

Revision ID: {revision}
Revises: {down_revision}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("shop_settings", sa.Column("{column}", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("shop_settings", "{column}")
'''

# (file, revision, down revision (None: the product's head), column, concurrency of the run that applies it)
BENCH_REVISIONS = (
    ("bench1_column.py", "bench1", None, "bench_note", 1),
    ("bench2_column_c4.py", "bench2", "bench1", "bench_note_c4", 4),
)


@dataclass(slots=True)
class OneColumnRun:
    concurrency: int
    revision: str
    seconds: float  # engine + migrate_public + plan + run, as `commerce migrate` without interpreter start
    report: FleetReport
    check_error: str | None = None  # the fleet's state after the run, when it is not what the run reported

    @property
    def per_tenant_ms(self) -> float:
        return self.report.seconds / max(1, len(self.report.outcomes)) * 1000


@dataclass(slots=True)
class FleetResult:
    tenants: int
    noop_seconds: list[float] = field(default_factory=list)
    noop_plan_seconds: list[float] = field(default_factory=list)
    cli_first_seconds: float | None = None
    cli_noop_seconds: list[float] = field(default_factory=list)
    raw_ddl_seconds: float = 0.0
    runs: list[OneColumnRun] = field(default_factory=list)

    def rows(self) -> list[Row]:
        section3 = "3. no-op fleet migrate"
        noop = median(self.noop_seconds)
        rows = [
            Row(
                section3,
                f"migrate_public + plan + run, {self.tenants} tenants at head (median of {len(self.noop_seconds)})",
                ms(noop),
                f"< {NOOP_TARGET_SECONDS:.0f} s",
                verdict(noop < NOOP_TARGET_SECONDS),
            ),
            Row(
                section3,
                "of which the plan (one registry query + script directory)",
                ms(median(self.noop_plan_seconds)),
            ),
        ]
        if self.cli_noop_seconds:
            cli = median(self.cli_noop_seconds)
            rows.append(
                Row(
                    section3,
                    f"`commerce migrate` as a new process, bytecode cached (median of {len(self.cli_noop_seconds)})",
                    ms(cli),
                    f"< {NOOP_TARGET_SECONDS:.0f} s",
                    verdict(cli < NOOP_TARGET_SECONDS),
                )
            )
        if self.cli_first_seconds is not None:
            rows.append(Row(section3, "`commerce migrate` first start (bytecode compiled)", ms(self.cli_first_seconds)))
        section4 = "4. one-column migration"
        rows.append(
            Row(
                section4,
                "baseline: bare ALTER TABLE per schema, 1 connection, no runner",
                f"{self.raw_ddl_seconds:.2f} s ({self.raw_ddl_seconds / max(1, self.tenants) * 1000:.2f} ms/tenant)",
            )
        )
        for run in self.runs:
            failed = len(run.report.failed)
            rows.append(
                Row(
                    section4,
                    f"fleet migrate {run.revision}, {self.tenants} tenants, concurrency {run.concurrency}",
                    f"{run.seconds:.2f} s ({run.per_tenant_ms:.2f} ms/tenant, "
                    f"{run.seconds / self.raw_ddl_seconds:.1f}x baseline, {failed} failed)",
                    f"< {ONE_COLUMN_TARGET_SECONDS:.0f} s",
                    verdict(run.seconds < ONE_COLUMN_TARGET_SECONDS and failed == 0 and run.check_error is None),
                )
            )
            if run.check_error:
                rows.append(
                    Row(section4, f"state after the run at concurrency {run.concurrency}", run.check_error, "", "GAP")
                )
        return rows


@contextmanager
def bench_scripts() -> Iterator[Path]:
    """A copy of ``migrations/tenant`` with the bench revisions added."""
    with tempfile.TemporaryDirectory(prefix="commerce-bench-migrations-") as tmp:
        location = Path(tmp) / "tenant"
        shutil.copytree(TENANT_SCRIPTS, location, ignore=shutil.ignore_patterns("__pycache__"))
        head = TenantMigrations().head
        for filename, revision, down_revision, column, _ in BENCH_REVISIONS:
            source = _REVISION.format(revision=revision, down_revision=down_revision or head, column=column)
            (location / "versions" / filename).write_text(source)
        yield location


def _migrate(
    database_url: str, migrations: TenantMigrations, *, concurrency: int, target: str
) -> tuple[FleetReport, float, float]:
    """``commerce migrate`` in-process; returns the report, the total and the planning seconds."""
    started = time.perf_counter()
    engine = create_sync_db_engine(DatabaseSettings(url=database_url), pool_size=concurrency + 1)
    try:
        migrate_public(engine)
        migrator = FleetMigrator(engine, migrations, concurrency=concurrency)
        plan_started = time.perf_counter()
        plan = migrator.plan(target=target)
        plan_seconds = time.perf_counter() - plan_started
        report = migrator.run(plan)
    finally:
        engine.dispose()
    return report, time.perf_counter() - started, plan_seconds


def _cli_noop_seconds(database_url: str, repeats: int) -> tuple[float | None, list[float]]:
    """Wall time of ``commerce migrate`` as a new process: the first start (no bytecode yet), then warm starts."""
    executable = Path(sys.executable).parent / "commerce"
    if not executable.exists():
        return None, []
    env = child_environment(DATABASE_URL=database_url, COMMERCE_LOG__LEVEL="WARNING")
    env.pop("COMMERCE_DB__URL", None)
    times: list[float] = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        completed = subprocess.run(
            [str(executable), "migrate"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
        )
        times.append(time.perf_counter() - started)
        if completed.returncode != 0 or "0 to migrate" not in completed.stdout:
            log(f"  `commerce migrate` failed ({completed.returncode}): {(completed.stdout + completed.stderr)[-500:]}")
            return None, []
    return times[0], times[1:]


def _raw_ddl(engine: Engine, schemas: list[str], column: str) -> float:
    """The floor: the same DDL per schema, one transaction each, one connection, nothing else."""
    started = time.perf_counter()
    with engine.connect() as connection:
        for schema in schemas:
            with connection.begin():
                set_transaction_search_path(connection, schema)
                connection.exec_driver_sql(f"ALTER TABLE shop_settings ADD COLUMN {column} TEXT")
    return time.perf_counter() - started


def _check(engine: Engine, schemas: list[str], columns: list[str], revision: str) -> str | None:
    """Every schema has the columns and records the revision, in its own version table and in the registry."""
    with engine.connect() as connection:
        for column in columns:
            having = connection.execute(
                text(
                    "SELECT count(*) FROM information_schema.columns "
                    "WHERE table_name = 'shop_settings' AND column_name = :column AND table_schema LIKE 't\\_%'"
                ),
                {"column": column},
            ).scalar_one()
            if having != len(schemas):
                return f"{having} of {len(schemas)} tenant schemas have column {column}"
        at_revision = connection.execute(
            select(func.count()).where(Tenant.schema_revision == revision, Tenant.status.in_(SCHEMA_STATUSES))
        ).scalar_one()
        if at_revision != len(schemas):
            return f"the registry has {at_revision} of {len(schemas)} tenants at {revision}"
        versions: list[str] = []
        # One UNION of 10,000 selects exceeds max_stack_depth, and one transaction reading them all runs out of
        # lock slots (max_locks_per_transaction): batches of 500, each in its own transaction.
        for start in range(0, len(schemas), 500):
            connection.rollback()
            versions += connection.execute(
                # Schema names pass core.db.quote_schema's validation: no injection through them.
                text(
                    " UNION ALL ".join(
                        f"SELECT version_num FROM {quote_schema(s)}.alembic_version"  # noqa: S608
                        for s in schemas[start : start + 500]
                    )
                )
            ).scalars()
        wrong = [v for v in versions if v != revision]
        if wrong:
            return f"{len(wrong)} schemas' alembic_version is not {revision}: {sorted(set(wrong))}"
    return None


def run_fleet_benchmarks(database_url: str, *, noop_repeats: int = 3) -> FleetResult:
    engine = create_sync_db_engine(DatabaseSettings(url=database_url), pool_size=1)
    try:
        with engine.connect() as connection:
            schemas = list(
                connection.execute(
                    select(Tenant.schema_name).where(Tenant.status.in_(SCHEMA_STATUSES)).order_by(Tenant.created_at)
                ).scalars()
            )
        result = FleetResult(tenants=len(schemas))

        log(f"no-op fleet migrate over {len(schemas)} tenants, {noop_repeats} times")
        for _ in range(noop_repeats):
            # A fresh TenantMigrations, as a new `commerce migrate` process has: the script directory is read again.
            report, seconds, plan_seconds = _migrate(database_url, TenantMigrations(), concurrency=4, target="head")
            if report.outcomes or report.up_to_date != len(schemas):
                raise RuntimeError(f"the no-op migrate had work: {len(report.outcomes)} outcomes")
            result.noop_seconds.append(seconds)
            result.noop_plan_seconds.append(plan_seconds)
        result.cli_first_seconds, result.cli_noop_seconds = _cli_noop_seconds(database_url, noop_repeats)
        cli = f"{median(result.cli_noop_seconds):.2f} s" if result.cli_noop_seconds else "n/a"
        log(f"  median {ms(median(result.noop_seconds))} in-process; `commerce migrate` process {cli}")

        log("baseline: bare ALTER TABLE over every schema")
        result.raw_ddl_seconds = _raw_ddl(engine, schemas, "bench_raw")
        log(f"  {result.raw_ddl_seconds:.2f} s")

        with bench_scripts() as location:
            migrations = TenantMigrations(script_location=location)
            columns: list[str] = []
            for _, revision, _, column, concurrency in BENCH_REVISIONS:
                log(f"one-column migration to {revision} at concurrency {concurrency}")
                report, seconds, _ = _migrate(database_url, migrations, concurrency=concurrency, target=revision)
                if report.failed:
                    log(f"  {len(report.failed)} failed, e.g. {report.failed[0].error}")
                columns.append(column)
                problem = _check(engine, schemas, columns, revision)
                if problem:
                    log(f"  CHECK FAILED: {problem}")
                result.runs.append(OneColumnRun(concurrency, revision, seconds, report, problem))
                log(f"  {len(report.migrated)} migrated in {seconds:.2f} s (runner {report.seconds:.2f} s)")
    finally:
        engine.dispose()
    return result
