"""The second wall: each tenant transaction runs as its schema's own role, which PostgreSQL confines to that schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from core.db import Database, create_sync_db_engine, tenant_role_name
from core.settings import Settings
from tenants import service as tenants_service
from tenants.fleet import FleetMigrator
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.migrations import planted
from tests.fixtures.tenants import MakeTenant, TenantHandle, make_legacy_tenant
from tests.integration.test_fleet import run_cli


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    sync_engine = create_sync_db_engine(settings.db, pool_size=2)
    yield sync_engine
    sync_engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def one_connection(settings: Settings) -> AsyncIterator[Database]:
    """A database handle on a pool of one: every session below reuses the same backend."""
    database = Database(settings.db.model_copy(update={"pool_size": 1, "max_overflow": 0}))
    yield database
    await database.dispose()


def role_exists(engine: Engine, role: str) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar())


async def test_another_tenants_schema_qualified_table_is_refused_by_postgresql(
    database: Database, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    async with database.scoped_session(tenant_a.schema_name, tenant_id=uuid.UUID(tenant_a.id)) as db:
        own = await db.scalar(text(f'SELECT name FROM "{tenant_a.schema_name}".shop_settings'))
        assert own == tenant_a.name  # the same statement on its own schema reads
        with pytest.raises(ProgrammingError, match=f"permission denied for schema {tenant_b.schema_name}"):
            await db.execute(text(f'SELECT name FROM "{tenant_b.schema_name}".shop_settings'))
        await db.rollback()
    async with database.scoped_session(tenant_a.schema_name) as db:
        with pytest.raises(ProgrammingError, match="permission denied"):
            await db.execute(text(f"UPDATE \"{tenant_b.schema_name}\".shop_settings SET name = 'hijacked'"))


async def test_the_role_is_switched_by_the_routing_statement_and_ends_with_the_transaction(
    one_connection: Database, tenant_a: TenantHandle
) -> None:
    async with one_connection.public_session() as db:
        runtime = await db.scalar(text("SELECT current_user"))
    async with one_connection.scoped_session(tenant_a.schema_name) as db:
        assert await db.scalar(text("SELECT current_user")) == tenant_role_name(tenant_a.schema_name)
        await db.commit()
    async with one_connection.public_session() as db:
        assert await db.scalar(text("SELECT current_user")) == runtime
    async with one_connection.scoped_session(tenant_a.schema_name) as db:
        with pytest.raises(ProgrammingError):
            await db.execute(text("SELECT * FROM no_such_table"))
        await db.rollback()
    async with one_connection.public_session() as db:
        assert await db.scalar(text("SELECT current_user")) == runtime


async def test_public_tables_are_read_only_and_only_those_a_tenant_request_reads(
    database: Database, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    async with database.public_session() as db:  # the runtime role sees the whole registry
        assert await db.scalar(text("SELECT count(*) FROM public.tenants")) > 1
    async with database.scoped_session(tenant_a.schema_name) as db:
        # read-only, and row-level security shows the tenant its own registry row only
        assert (await db.execute(text("SELECT id FROM public.tenants"))).scalars().all() == [uuid.UUID(tenant_a.id)]
        assert await db.scalar(text("SELECT count(*) FROM public.stripe_accounts")) == 0
        for denied in (
            "UPDATE public.tenants SET name = 'x'",
            "DELETE FROM public.stripe_accounts",
            "SELECT * FROM public.operators",
            "SELECT * FROM public.stripe_events",
            "UPDATE alembic_version SET version_num = 'x'",  # the revision is the fleet runner's
        ):
            with pytest.raises(ProgrammingError, match="permission denied"):
                async with db.begin_nested():  # rolled back to, so the next statement runs
                    await db.execute(text(denied))


async def test_the_api_serves_tenants_through_their_roles(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    for tenant in (tenant_a, tenant_b, tenant_a):
        response = await client.get("/admin/v1/shop", headers=tenant.headers)
        assert response.status_code == 200
        assert response.json()["name"] == tenant.name


async def test_purge_drops_the_role_with_the_schema(
    engine: Engine, database: Database, make_tenant: MakeTenant, client: httpx.AsyncClient, operator: OperatorHandle
) -> None:
    tenant = await make_tenant()
    role = tenant_role_name(tenant.schema_name)
    assert role_exists(engine, role)
    assert (await client.delete(f"/platform/v1/tenants/{tenant.id}", headers=operator.headers)).status_code == 200
    async with database.public_session() as db:
        await tenants_service.purge(db, uuid.UUID(tenant.id))
        await db.commit()
    assert not role_exists(engine, role)


async def test_a_fleet_migration_grants_the_new_tables_to_the_role(
    engine: Engine, database: Database, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    migrations = planted(tmp_path, "CREATE TABLE wishlists (id UUID PRIMARY KEY, note TEXT)", revision="roles1")
    migrator = FleetMigrator(engine, migrations)
    try:
        [outcome] = migrator.run(migrator.plan(target="roles1", slug=tenant.slug)).outcomes
        assert outcome.error is None
        async with database.scoped_session(tenant.schema_name) as db:
            await db.execute(text("INSERT INTO wishlists VALUES (gen_random_uuid(), 'kept')"))
            assert await db.scalar(text("SELECT note FROM wishlists")) == "kept"
    finally:
        async with database.public_session() as db:  # a revision the product does not know: purge the tenant
            await tenants_service.soft_delete(db, uuid.UUID(tenant.id))
            await tenants_service.purge(db, uuid.UUID(tenant.id))
            await db.commit()


async def test_commerce_migrate_gives_existing_tenants_their_role(
    engine: Engine, database: Database, settings: Settings
) -> None:
    behind, at_head = await make_legacy_tenant(database), await make_legacy_tenant(database)
    assert FleetMigrator(engine).run(FleetMigrator(engine).plan(slug=at_head.slug)).failed == []
    for tenant in (behind, at_head):  # as built before roles existed
        role = tenant_role_name(tenant.schema_name)
        with engine.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        assert not role_exists(engine, role)

    dry = run_cli(settings, "migrate", "--dry-run", "--tenant", at_head.slug)
    assert "would give 1 tenant(s) their database role" in dry.stdout
    assert not role_exists(engine, tenant_role_name(at_head.schema_name))

    result = run_cli(settings, "migrate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gave" in result.stdout
    for tenant in (behind, at_head):
        assert role_exists(engine, tenant_role_name(tenant.schema_name))
        async with database.scoped_session(tenant.schema_name) as db:
            assert await db.scalar(text("SELECT count(*) FROM staff_members")) == 0
    again = run_cli(settings, "migrate")
    assert "roles" not in again.stdout  # nothing left to do: one query, no output
