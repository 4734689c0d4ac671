from __future__ import annotations

import uuid

import pytest

from tenants.context import TenantContext
from tenants.models import TenantStatus
from tenants.resolution import TenantCache, _hostname, clear_local_caches


def _tenant() -> TenantContext:
    return TenantContext(id=uuid.uuid4(), slug="acme", schema_name="t_x", status=TenantStatus.ACTIVE)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Acme.Localhost:8000", "acme.localhost"),
        ("shop.example.com.", "shop.example.com"),
        ("[::1]:8000", None),
        ('evil".example.com', None),
        ("", None),
        (None, None),
    ],
)
def test_hostname_normalisation(host: str | None, expected: str | None) -> None:
    assert _hostname(host) == expected


def test_cache_remembers_hits_and_misses_until_the_ttl() -> None:
    now = [1_000.0]
    cache = TenantCache(ttl_seconds=5, max_entries=10, clock=lambda: now[0])
    tenant = _tenant()
    cache.put(("slug", "acme"), tenant)
    cache.put(("slug", "ghost"), None)
    now[0] += 4.9
    assert cache.get(("slug", "acme")) == (True, tenant)
    assert cache.get(("slug", "ghost")) == (True, None)
    now[0] += 0.2  # past the TTL: moved, not waited for
    assert cache.get(("slug", "acme")) == (False, None)
    assert cache.get(("slug", "ghost")) == (False, None)


def test_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = TenantCache(ttl_seconds=60, max_entries=2)
    cache.put(("slug", "a"), None)
    cache.put(("slug", "b"), None)
    cache.get(("slug", "a"))
    cache.put(("slug", "c"), None)
    assert len(cache) == 2
    assert cache.get(("slug", "b")) == (False, None)
    assert cache.get(("slug", "a"))[0]


def test_clearing_reaches_every_live_cache() -> None:
    caches = [TenantCache(ttl_seconds=60, max_entries=5) for _ in range(2)]
    for cache in caches:
        cache.put(("slug", "acme"), _tenant())
    clear_local_caches()
    assert [len(c) for c in caches] == [0, 0]
