"""Tenant isolation through PgBouncer in transaction mode with one server connection: the routing tests of
tests/integration, here through the pooler, and interleaved concurrent reads of many tenants on one backend."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.fixtures.tenants import MakeTenant, TenantHandle
from tests.integration.test_routing import *  # noqa: F403 - the same tests, through PgBouncer
from tests.integration.test_tenant_boundary import *  # noqa: F403

ROUNDS = 25


def _server_connections(database_url: str) -> int:
    """Backends of the test database on the PostgreSQL server (asked directly, not through PgBouncer)."""
    url = make_url(database_url)
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            count: int = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND backend_type = 'client backend'"),
                {"db": url.database},
            ).scalar_one()
            return count
    finally:
        engine.dispose()


async def test_interleaved_reads_of_many_tenants_through_one_server_connection_never_leak(
    client: httpx.AsyncClient, make_tenant: MakeTenant, database_url: str
) -> None:
    tenants = [await make_tenant() for _ in range(4)]

    async def read(tenant: TenantHandle) -> tuple[TenantHandle, httpx.Response]:
        return tenant, await client.get("/admin/v1/shop", headers=tenant.headers)

    async def fail(tenant: TenantHandle) -> tuple[TenantHandle, httpx.Response]:
        # A transaction that errors and rolls back between the reads (stale version: 412).
        headers = {**tenant.headers, "if-match": '"999"'}
        return tenant, await client.patch("/admin/v1/shop", json={"name": "never saved"}, headers=headers)

    calls = [call(tenant) for _ in range(ROUNDS) for tenant in tenants for call in (read, fail)]
    results = await asyncio.gather(*calls)

    reads = [(tenant, r) for tenant, r in results if r.request.method == "GET"]
    leaks = [(tenant.slug, r.status_code, r.text[:100]) for tenant, r in reads if r.json().get("name") != tenant.name]
    refused = {r.status_code for _, r in results if r.request.method == "PATCH"}
    assert len(reads) == ROUNDS * len(tenants)
    assert leaks == []
    assert refused == {412}
    assert _server_connections(database_url) <= 1  # PgBouncer's pool of one served everything
