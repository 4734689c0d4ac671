"""The product on Citus schema-based sharding: every tenant schema is a distributed schema on one worker.

These tests run when ``TEST_DATABASE_URL`` names a Citus coordinator (the CI's Citus tier, see
``docs/scaling.md``) and skip on plain PostgreSQL. Tenants are provisioned through the platform API,
read through the real app, migrated by the fleet runner, purged, and moved by Citus' rebalancer.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from api.app import create_app
from auth.operators import service as operators_service
from auth.passwords import Passwords
from core.db import Database, create_sync_db_engine, tenant_role_name
from core.settings import Settings
from tenants import service as tenants_service
from tenants.ddl import TenantMigrations
from tenants.fleet import FleetMigrator, FleetPlan, migrate_public
from tests.fixtures import citus, databases
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.http import asgi_client
from tests.fixtures.migrations import BAD, GOOD, planted
from tests.fixtures.tenants import MakeTenant, TenantHandle, provision_through_api
from tests.integration.test_fleet import run_cli


@pytest.fixture
def citus_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_sync_db_engine(settings.db, pool_size=4)
    with engine.connect() as connection:
        if not citus.is_citus(connection):
            engine.dispose()
            if os.environ.get("COMMERCE_TEST_REQUIRE_CITUS"):
                pytest.fail("COMMERCE_TEST_REQUIRE_CITUS is set but TEST_DATABASE_URL is not a Citus coordinator")
            pytest.skip("not a Citus coordinator (the Citus tier of .ci/run sets TEST_DATABASE_URL to one)")
    yield engine
    engine.dispose()


async def make_shops(make_tenant: MakeTenant, n: int) -> list[TenantHandle]:
    """``n`` tenants with names no other tenant has (the leak checks compare names)."""
    return [await make_tenant(name=f"Shop {i} {uuid.uuid4().hex[:8]}") for i in range(n)]


def tables_of(connection: Connection, schema: str) -> int:
    return int(
        connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalar_one()
    )


def shards_of(connection: Connection, schema: str) -> int:
    query = (
        "SELECT count(*) FROM citus_shards sh JOIN citus_schemas s ON s.colocation_id = sh.colocation_id"
        " WHERE s.schema_name::text = :s"
    )
    return int(connection.execute(text(query), {"s": schema}).scalar_one())


async def test_tenants_provisioned_through_the_api_are_distributed_schemas_spread_over_the_workers(
    citus_engine: Engine, make_tenant: MakeTenant
) -> None:
    tenants = await make_shops(make_tenant, 6)
    with citus_engine.connect() as connection:
        where = citus.placements(connection)
        workers = citus.worker_ports(connection)
        for tenant in tenants:
            # every table of the schema is a shard of the schema's colocation group...
            assert shards_of(connection, tenant.schema_name) == tables_of(connection, tenant.schema_name) > 5
    assert len(workers) == 2
    for tenant in tenants:
        # ... and the whole schema sits on exactly one worker
        assert len(where[tenant.schema_name]) == 1, where[tenant.schema_name]
        assert where[tenant.schema_name] <= workers
    assert set().union(*(where[t.schema_name] for t in tenants)) == workers


@pytest_asyncio.fixture(loop_scope="session")
async def one_connection_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on a pool of one connection to the coordinator: every request reuses one backend."""
    one = settings.model_copy(update={"db": settings.db.model_copy(update={"pool_size": 1, "max_overflow": 0})})
    app: FastAPI = create_app(one, listen_for_tenant_changes=False)
    async with asgi_client(app) as http:
        yield http
    await app.state.commerce.database.dispose()


async def test_interleaved_reads_of_tenants_on_both_workers_never_leak(
    citus_engine: Engine, make_tenant: MakeTenant, client: httpx.AsyncClient, one_connection_client: httpx.AsyncClient
) -> None:
    tenants = await make_shops(make_tenant, 6)
    order = [tenant for _ in range(5) for tenant in tenants]
    random.Random(10).shuffle(order)
    for tenant in order:  # one coordinator connection, routed anew by every transaction
        response = await one_connection_client.get("/admin/v1/shop", headers=tenant.headers)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == tenant.name
    # and concurrently, over the app's pool
    responses = await asyncio.gather(*(client.get("/admin/v1/shop", headers=t.headers) for t in order))
    assert [r.json()["name"] for r in responses] == [t.name for t in order]


async def test_a_tenant_transaction_is_routed_to_the_worker_holding_its_schema(
    citus_engine: Engine, database: Database, make_tenant: MakeTenant
) -> None:
    tenants = await make_shops(make_tenant, 4)
    with citus_engine.connect() as connection:
        where = citus.placements(connection)
    assert len({port for t in tenants for port in where[t.schema_name]}) == 2  # both workers are exercised
    for tenant in tenants:
        [port] = where[tenant.schema_name]
        # The session class the request path uses: its transaction starts with the routing statement.
        async with database.scoped_session(tenant.schema_name) as db:
            plan = "\n".join((await db.execute(text("EXPLAIN (COSTS OFF) SELECT name FROM shop_settings"))).scalars())
            name = await db.scalar(text("SELECT name FROM shop_settings"))
        assert "Task Count: 1" in plan
        assert f"port={port}" in plan, plan
        assert name == tenant.name


async def test_tenant_roles_reach_the_workers_and_refuse_other_tenants_there(
    citus_engine: Engine, database: Database, make_tenant: MakeTenant
) -> None:
    a, b = await make_shops(make_tenant, 2)
    with citus_engine.connect() as connection:
        workers = citus.worker_ports(connection)
    role = tenant_role_name(a.schema_name)
    for port in workers:  # propagated by Citus, and able to log in: Citus connects to a worker as the current role
        worker = create_engine(make_url(str(citus_engine.url)).set(port=port))
        with worker.connect() as connection:
            can_login = connection.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role})
            assert can_login.scalar_one() is True
        worker.dispose()
    async with database.scoped_session(a.schema_name) as db:
        assert await db.scalar(text("SELECT current_user")) == role
        assert await db.scalar(text("SELECT name FROM shop_settings")) == a.name  # on its worker, as its role
        with pytest.raises(ProgrammingError, match="permission denied for schema"):
            await db.execute(text(f'SELECT name FROM "{b.schema_name}".shop_settings'))


@pytest.fixture
def one_column_migrations(tmp_path: Path) -> TenantMigrations:
    return planted(tmp_path, "ALTER TABLE shop_settings ADD COLUMN citus_note TEXT", revision="citus1")


def shard_columns(engine: Engine, port: int, schema: str, column: str) -> int:
    """How many shard tables of ``schema`` on the worker at ``port`` have ``column`` (read on the worker itself)."""
    worker = create_engine(make_url(str(engine.url)).set(port=port))
    try:
        with worker.connect() as connection:
            query = "SELECT count(*) FROM information_schema.columns WHERE table_schema = :s AND column_name = :c"
            return int(connection.execute(text(query), {"s": schema, "c": column}).scalar_one())
    finally:
        worker.dispose()


async def test_fleet_migrations_no_op_and_one_column_reach_the_shards_on_the_workers(
    citus_engine: Engine,
    database: Database,
    make_tenant: MakeTenant,
    client: httpx.AsyncClient,
    one_column_migrations: TenantMigrations,
) -> None:
    tenants = await make_shops(make_tenant, 4)
    ids = {uuid.UUID(t.id) for t in tenants}
    migrator = FleetMigrator(citus_engine, concurrency=2)
    noop = migrator.plan()
    assert not ids & {p.id for p in noop.pending}  # at head: planned as up to date, never opened
    assert migrator.run(noop).failed == []

    extended = FleetMigrator(citus_engine, one_column_migrations, concurrency=2)
    plans = [extended.plan(target="citus1", slug=t.slug) for t in tenants]  # only this test's tenants
    plan = FleetPlan(target=plans[0].target, pending=[p for one in plans for p in one.pending], up_to_date=0)
    try:
        report = extended.run(plan)
        assert report.failed == []
        assert {o.tenant.id for o in report.migrated} == ids
        with citus_engine.connect() as connection:
            where = citus.placements(connection)
            for tenant in tenants:
                assert connection.execute(text(f'SELECT citus_note FROM "{tenant.schema_name}".shop_settings')).all()
        for tenant in tenants:
            [port] = where[tenant.schema_name]
            assert shard_columns(citus_engine, port, tenant.schema_name, "citus_note") == 1
            response = await client.get("/admin/v1/shop", headers=tenant.headers)  # old code, new column: expand
            assert response.status_code == 200
    finally:  # a revision the product does not know must not stay in the shared registry: purge them
        await purge(database, ids)


async def purge(database: Database, tenant_ids: set[uuid.UUID]) -> None:
    async with database.public_session() as db:
        for tenant_id in tenant_ids:
            await tenants_service.soft_delete(db, tenant_id)
            await tenants_service.purge(db, tenant_id)
        await db.commit()


@pytest.mark.parametrize(
    ("rule", "citus_says"),
    [
        ("cross-schema-foreign-key", "must be a distributed table or a reference table"),
        ("trigger", "triggers are not supported on distributed tables"),
    ],
)
async def test_what_the_lint_refuses_citus_refuses_and_what_it_allows_citus_runs(
    citus_engine: Engine, database: Database, make_tenant: MakeTenant, tmp_path: Path, rule: str, citus_says: str
) -> None:
    [tenant] = await make_shops(make_tenant, 1)
    bad = FleetMigrator(citus_engine, planted(tmp_path / "bad", f"{GOOD};\n{BAD[rule]}", revision="bad"))
    good = FleetMigrator(citus_engine, planted(tmp_path / "good", GOOD, revision="good"))
    try:
        [refused] = bad.run(bad.plan(target="bad", slug=tenant.slug)).outcomes
        assert refused.error is not None
        assert citus_says in refused.error
        [applied] = good.run(good.plan(target="good", slug=tenant.slug)).outcomes
        assert applied.error is None
    finally:
        await purge(database, {uuid.UUID(tenant.id)})


async def test_purge_drops_the_distributed_schema_from_its_worker(
    citus_engine: Engine,
    database: Database,
    make_tenant: MakeTenant,
    client: httpx.AsyncClient,
    operator: OperatorHandle,
) -> None:
    [tenant] = await make_shops(make_tenant, 1)
    with citus_engine.connect() as connection:
        [port] = citus.placements(connection)[tenant.schema_name]
    assert shard_columns(citus_engine, port, tenant.schema_name, "id") > 0

    deleted = await client.delete(f"/platform/v1/tenants/{tenant.id}", headers=operator.headers)
    assert deleted.status_code == 200, deleted.text
    async with database.public_session() as db:
        await tenants_service.purge(db, uuid.UUID(tenant.id))
        await db.commit()

    with citus_engine.connect() as connection:
        assert tenant.schema_name not in citus.placements(connection)
    assert shard_columns(citus_engine, port, tenant.schema_name, "id") == 0
    worker = create_engine(make_url(str(citus_engine.url)).set(port=port))
    with worker.connect() as connection:  # the tenant's role went with it, on the worker too
        role = tenant_role_name(tenant.schema_name)
        assert connection.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar() == 0
    worker.dispose()


async def test_existing_schemas_are_distributed_by_the_distribute_command(
    citus_engine: Engine, settings: Settings, make_tenant: MakeTenant, client: httpx.AsyncClient
) -> None:
    local, other = await make_shops(make_tenant, 2)
    with citus_engine.begin() as connection:  # as a schema built before the database became a coordinator
        connection.execute(text("SELECT citus_schema_undistribute(:s)"), {"s": local.schema_name})
        assert local.schema_name not in citus.placements(connection)

    listed = run_cli(settings, "tenants", "distribute", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert f"{local.slug} {local.schema_name} coordinator (local)" in listed.stdout
    assert f"{other.slug} {other.schema_name} 127.0.0.1:" in listed.stdout

    done = run_cli(settings, "tenants", "distribute")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "distributed 1, failed 0" in done.stdout
    with citus_engine.connect() as connection:
        [port] = citus.placements(connection)[local.schema_name]
        assert port in citus.worker_ports(connection)
    response = await client.get("/admin/v1/shop", headers=local.headers)
    assert response.json()["name"] == local.name


def test_distribute_on_plain_postgresql_is_refused(settings: Settings) -> None:
    engine = create_sync_db_engine(settings.db)
    with engine.connect() as connection:
        distributed = citus.is_citus(connection)
    engine.dispose()
    if distributed:
        pytest.skip("a Citus coordinator")
    result = run_cli(settings, "tenants", "distribute", "--dry-run")
    assert result.returncode == 1
    assert "citus_not_installed" in result.stderr


# --- rebalancing, in a database of its own (the rebalancer moves whatever the whole database holds) ----


@dataclass
class Traffic:
    """What the clients saw while the rebalancer ran."""

    reads: int = 0
    writes: int = 0
    during_move: int = 0
    failures: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(loop_scope="session")
async def rebalance_database(citus_engine: Engine, settings: Settings) -> AsyncIterator[Settings]:
    """A fresh Citus database with only the second worker open for new shards, and settings pointing at it."""
    server = make_url(settings.db.url)
    name = f"commerce_rebalance_{uuid.uuid4().hex[:8]}"
    with citus_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        databases.create_database(connection, server, name)
        # off by default here: provisioning distributes tenant schemas whatever the cluster's default
        connection.execute(text(f'ALTER DATABASE "{name}" SET citus.enable_schema_based_sharding = off'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_sync_db_engine(settings.db.model_copy(update={"url": url}))
    migrate_public(engine)
    engine.dispose()
    try:
        yield settings.model_copy(update={"db": settings.db.model_copy(update={"url": url})})
    finally:
        with citus_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            databases.drop_database(connection, server, name)


async def test_rebalancing_moves_whole_schemas_while_the_api_serves_them(rebalance_database: Settings) -> None:
    settings = rebalance_database
    engine = create_engine(settings.db.url, isolation_level="AUTOCOMMIT")
    app: FastAPI = create_app(settings, listen_for_tenant_changes=False)
    database = Database(settings.db)
    try:
        with engine.connect() as connection:
            workers = sorted(citus.worker_ports(connection))
            # every new schema goes to the first worker: the fleet starts unbalanced
            connection.execute(
                text("SELECT citus_set_node_property('127.0.0.1', :p, 'shouldhaveshards', false)"), {"p": workers[1]}
            )
        email, password = f"op-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
        async with database.public_session() as db:
            await operators_service.create_operator(db, Passwords(settings.auth), email=email, password=password)
            await db.commit()
        async with asgi_client(app) as http:
            login = await http.post("/platform/v1/auth/token", json={"email": email, "password": password})
            operator = OperatorHandle(email, password, {"authorization": f"Bearer {login.json()['access_token']}"})
            tenants = [
                await provision_through_api(http, operator, name=f"Moving {i} {uuid.uuid4().hex[:6]}") for i in range(4)
            ]
            with engine.connect() as connection:
                before = citus.placements(connection)
                assert {port for t in tenants for port in before[t.schema_name]} == {workers[0]}
                connection.execute(
                    text("SELECT citus_set_node_property('127.0.0.1', :p, 'shouldhaveshards', true)"),
                    {"p": workers[1]},
                )

            moving = threading.Event()
            done = threading.Event()

            def rebalance() -> None:
                with engine.connect() as connection:
                    connection.execute(text("SELECT citus_rebalance_start(shard_transfer_mode := 'block_writes')"))
                    moving.set()
                    connection.execute(text("SELECT citus_rebalance_wait()"))
                done.set()

            traffic = Traffic()

            async def serve() -> None:
                for round_ in range(10_000):  # bounded; ends as soon as the rebalancer is done
                    if done.is_set():
                        return
                    tenant = tenants[round_ % len(tenants)]
                    during = moving.is_set()
                    if (round_ // len(tenants)) % 2:  # every other round writes to each tenant
                        response = await http.patch(
                            "/admin/v1/shop", json={"timezone": "Europe/Paris"}, headers=tenant.headers
                        )
                        traffic.writes += 1
                    else:
                        response = await http.get("/admin/v1/shop", headers=tenant.headers)
                        traffic.reads += 1
                        if response.status_code == 200 and response.json()["name"] != tenant.name:
                            traffic.failures.append(f"leak: {tenant.slug} saw {response.json()['name']}")
                    if response.status_code != 200:
                        traffic.failures.append(f"{response.status_code} {response.text[:200]}")
                    if during and not done.is_set():
                        traffic.during_move += 1

            mover = asyncio.create_task(asyncio.to_thread(rebalance))
            await serve()
            await mover

            with engine.connect() as connection:
                after = citus.placements(connection)
            moved = [t for t in tenants if after[t.schema_name] != before[t.schema_name]]
            assert moved, "the rebalancer moved no schema"
            assert {port for t in tenants for port in after[t.schema_name]} == set(workers)
            assert all(len(after[t.schema_name]) == 1 for t in tenants)  # schemas move whole
            assert traffic.during_move > 0, traffic  # the API was serving while schemas moved
            assert traffic.failures == []
            for tenant in tenants:  # and still serves every tenant, wherever it now lives
                written = await http.patch("/admin/v1/shop", json={"timezone": "Asia/Tokyo"}, headers=tenant.headers)
                assert written.status_code == 200
                response = await http.get("/admin/v1/shop", headers=tenant.headers)
                assert (response.json()["name"], response.json()["timezone"]) == (tenant.name, "Asia/Tokyo")
    finally:
        await app.state.commerce.database.dispose()
        await database.dispose()
        engine.dispose()
