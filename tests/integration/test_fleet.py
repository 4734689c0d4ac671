"""The fleet migration runner: skips tenants at head, migrates the others, isolates failures, resumes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from core.db import Database, create_sync_db_engine
from core.settings import Settings
from tenants import service as tenants_service
from tenants.ddl import TenantMigrations
from tenants.fleet import FleetMigrator
from tenants.models import Tenant
from tests.fixtures.tenants import OLD_REVISION as OLD
from tests.fixtures.tenants import TenantHandle, make_legacy_tenant, tenant_body

MIGRATIONS = TenantMigrations()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    sync_engine = create_sync_db_engine(settings.db, pool_size=4)
    yield sync_engine
    sync_engine.dispose()


def revisions(engine: Engine, tenant: Tenant) -> tuple[str | None, str]:
    """(the registry's record, the schema's own alembic_version)."""
    with engine.connect() as connection:
        registry = connection.execute(select(Tenant.schema_revision).where(Tenant.id == tenant.id)).scalar_one()
        schema = connection.execute(
            text(f'SELECT version_num FROM "{tenant.schema_name}".alembic_version')
        ).scalar_one()
    return registry, schema


async def test_plan_holds_only_tenants_behind_head(engine: Engine, database: Database, tenant_a: TenantHandle) -> None:
    legacy = await make_legacy_tenant(database)
    plan = FleetMigrator(engine).plan()
    pending = {p.id for p in plan.pending}
    assert legacy.id in pending
    assert uuid.UUID(tenant_a.id) not in pending
    assert plan.target == MIGRATIONS.head
    FleetMigrator(engine).run(plan)  # leave the fleet at head for the other tests


async def test_behind_tenants_are_migrated_and_their_revision_recorded(engine: Engine, database: Database) -> None:
    tenants = [await make_legacy_tenant(database) for _ in range(3)]
    report = FleetMigrator(engine, concurrency=2).run(FleetMigrator(engine).plan())
    assert report.failed == []
    assert {o.tenant.id for o in report.migrated} >= {t.id for t in tenants}
    for tenant in tenants:
        assert revisions(engine, tenant) == (MIGRATIONS.head, MIGRATIONS.head)
        with engine.connect() as connection:
            assert connection.execute(text(f'SELECT count(*) FROM "{tenant.schema_name}".shop_settings')).scalar() == 0
    # Only what this test created: other tests share the database and may leave tenants of their own.
    assert not {p.id for p in FleetMigrator(engine).plan().pending} & {t.id for t in tenants}


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.db.url, "COMMERCE_LOG__LEVEL": "WARNING", "COLUMNS": "200"}
    command = [str(Path(sys.executable).with_name("commerce")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_failing_tenant_is_isolated_reported_and_retried_on_the_next_run(
    engine: Engine, database: Database, settings: Settings
) -> None:
    good, broken, other = [await make_legacy_tenant(database) for _ in range(3)]
    with engine.begin() as connection:  # someone created the table 0002 is about to create
        connection.execute(text(f'CREATE TABLE "{broken.schema_name}".shop_settings (id int)'))

    first = run_cli(settings, "migrate", "--concurrency", "2")
    assert first.returncode == 1, first.stdout + first.stderr
    assert broken.slug in first.stderr
    assert "DuplicateTable" in first.stderr
    assert revisions(engine, good) == revisions(engine, other) == (MIGRATIONS.head, MIGRATIONS.head)
    assert revisions(engine, broken) == (OLD, OLD)  # rolled back whole: DDL and recorded revision

    with engine.begin() as connection:
        connection.execute(text(f'DROP TABLE "{broken.schema_name}".shop_settings'))
    second = run_cli(settings, "migrate")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "failed 0" in second.stdout
    assert revisions(engine, broken) == (MIGRATIONS.head, MIGRATIONS.head)

    third = run_cli(settings, "migrate", "--tenant", broken.slug)  # resumed: nothing left for it
    assert third.returncode == 0
    assert "0 to migrate" in third.stdout


async def test_schema_that_drifted_from_the_registry_is_refused(engine: Engine, database: Database) -> None:
    tenant = await make_legacy_tenant(database)
    with engine.begin() as connection:  # migrated by hand behind the registry's back
        connection.execute(
            text(f"UPDATE \"{tenant.schema_name}\".alembic_version SET version_num = '{MIGRATIONS.head}'")
        )
    report = FleetMigrator(engine).run(FleetMigrator(engine).plan())
    [failure] = [o for o in report.failed if o.tenant.id == tenant.id]
    assert failure.error is not None
    assert "RevisionDrift" in failure.error
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE \"{tenant.schema_name}\".alembic_version SET version_num = '{OLD}'"))
    assert FleetMigrator(engine).run(FleetMigrator(engine).plan(slug=tenant.slug)).failed == []


async def test_dry_run_changes_nothing(engine: Engine, database: Database, settings: Settings) -> None:
    tenant = await make_legacy_tenant(database)
    result = run_cli(settings, "migrate", "--dry-run", "--tenant", tenant.slug)
    assert result.returncode == 0, result.stderr
    assert f"would migrate {tenant.slug}: {OLD} -> {MIGRATIONS.head}" in result.stdout
    assert revisions(engine, tenant) == (OLD, OLD)
    FleetMigrator(engine).run(FleetMigrator(engine).plan(slug=tenant.slug))


async def test_an_older_target_is_refused_not_recorded(engine: Engine, tenant_a: TenantHandle) -> None:
    migrator = FleetMigrator(engine)
    [outcome] = migrator.run(migrator.plan(target=OLD, slug=tenant_a.slug)).outcomes
    assert outcome.error is not None
    assert "NotAnUpgrade" in outcome.error
    with engine.connect() as connection:
        recorded = connection.execute(select(Tenant.schema_revision).where(Tenant.slug == tenant_a.slug)).scalar_one()
    assert recorded == MIGRATIONS.head


async def test_tenant_whose_provisioning_failed_is_never_planned(engine: Engine, database: Database) -> None:
    async with database.public_session() as db:
        tenant = await tenants_service.register(db, tenant_body())
        await tenants_service.mark_failed(db, tenant.id, "RuntimeError: died")
        await tenants_service.soft_delete(db, tenant.id)
        await db.commit()
    assert tenant.id not in {p.id for p in FleetMigrator(engine).plan().pending}


def test_cli_refuses_unknown_targets_and_tenants(settings: Settings) -> None:
    unknown_target = run_cli(settings, "migrate", "--dry-run", "--target", "nope")
    assert unknown_target.returncode == 2
    assert "unknown_revision" in unknown_target.stderr
    unknown_tenant = run_cli(settings, "migrate", "--tenant", "no-such-shop")
    assert unknown_tenant.returncode == 1
    assert "tenant_not_found" in unknown_tenant.stderr


def test_dry_run_on_an_empty_database_explains_instead_of_crashing(settings: Settings) -> None:
    server = make_url(settings.db.url)
    name = f"commerce_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        empty = settings.model_copy(
            update={
                "db": settings.db.model_copy(
                    update={"url": server.set(database=name).render_as_string(hide_password=False)}
                )
            }
        )
        result = run_cli(empty, "migrate", "--dry-run")
        assert result.returncode == 0, result.stderr
        assert "public would migrate: None ->" in result.stdout
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
