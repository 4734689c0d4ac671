"""The lookup cache under unknown hosts: misses are cached briefly and apart, so they cost neither a registry
query per request nor the real tenants' places in the cache. Time moves by an injected clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from core.db import Database
from core.settings import Settings, TenancySettings
from tenants.errors import TenantRequired
from tenants.resolution import TenantResolver
from tests.fixtures.listener import RECEIVING, delivery_verdict
from tests.fixtures.tenants import TenantHandle


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def queries(database: Database) -> Iterator[list[str]]:
    """Every statement the resolver's database runs while the test does."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine.sync_engine, "before_cursor_execute", record)


def _registry_lookups(statements: list[str]) -> int:
    return sum("FROM public.tenant" in s for s in statements)


def _resolver(database: Database, clock: Clock, **settings: float) -> TenantResolver:
    base = {"cache_ttl_seconds": 60.0, "cache_max_entries": 4, "negative_cache_ttl_seconds": 5.0}
    return TenantResolver(database, TenancySettings(**(base | settings)), clock=clock)


async def test_a_flood_of_unknown_hosts_does_not_evict_a_tenant(
    database: Database, tenant_a: TenantHandle, queries: list[str]
) -> None:
    resolver = _resolver(database, Clock())
    await resolver.resolve(host=f"{tenant_a.slug}.localhost", header_slug=None)
    for _ in range(50):
        with pytest.raises(TenantRequired):
            await resolver.resolve(host=f"{uuid.uuid4().hex[:12]}.example.com", header_slug=None)
    before = _registry_lookups(queries)

    found = await resolver.resolve(host=f"{tenant_a.slug}.localhost", header_slug=None)

    assert found.slug == tenant_a.slug
    assert _registry_lookups(queries) == before  # still cached: no query


async def test_an_unknown_host_costs_one_query_per_negative_ttl(
    database: Database, tenant_a: TenantHandle, queries: list[str]
) -> None:
    clock = Clock()
    resolver = _resolver(database, clock)
    host = f"{uuid.uuid4().hex[:12]}.example.com"

    async def lookups_for_unknown_host() -> int:
        before = _registry_lookups(queries)
        with pytest.raises(TenantRequired):
            await resolver.resolve(host=host, header_slug=None)
        return _registry_lookups(queries) - before

    first = await lookups_for_unknown_host()
    repeated = [await lookups_for_unknown_host() for _ in range(20)]
    clock.now += 4.9
    still_cached = await lookups_for_unknown_host()
    clock.now += 0.2  # past the negative TTL
    expired = await lookups_for_unknown_host()

    assert first == 1
    assert repeated == [0] * 20
    assert still_cached == 0
    assert expired == 1


async def test_tenants_outlive_misses(database: Database, tenant_a: TenantHandle, queries: list[str]) -> None:
    clock = Clock()
    resolver = _resolver(database, clock)
    await resolver.resolve(host=None, header_slug=tenant_a.slug)
    clock.now += 30  # far past the negative TTL, within the positive one
    before = _registry_lookups(queries)

    await resolver.resolve(host=None, header_slug=tenant_a.slug)

    assert _registry_lookups(queries) == before
    assert len(resolver.misses) == 0


async def test_the_listener_hears_its_own_probe_on_a_direct_connection(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    verdict = await delivery_verdict(settings.db.url, caplog, probe_timeout_seconds=10.0)

    assert verdict.startswith(RECEIVING)
