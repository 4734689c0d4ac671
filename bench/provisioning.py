"""Provisioning: bulk creation of the fleet (cheap argon2, concurrent) and the median of the real path.

Every tenant goes through ``commerce.provisioning.provision_tenant`` with the database and
migrations of ``api.state.AppState.build`` (so queued jobs reach a Celery dispatcher, here on the
in-memory broker), exactly as ``POST /platform/v1/tenants`` does: the registry row, the schema
rendered from the tenant migrations, the owner (argon2-hashed one-time password), the shop settings
and the welcome-mail job handed to the broker after the commit.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from api.state import AppState
from auth.passwords import Passwords
from bench.common import CHEAP_ARGON2, Row, bench_settings, log, median, ms, verdict
from commerce.provisioning import ProvisionedTenant, provision_tenant
from core.settings import AuthSettings
from tenants.schemas import TenantCreate

PROVISION_TARGET_SECONDS = 0.100  # DESIGN.md section 7: under 100 ms median at 10,000 tenants


@dataclass(slots=True)
class ProvisioningResult:
    tenants: list[ProvisionedTenant] = field(default_factory=list)
    bulk_seconds: float = 0.0
    bulk_count: int = 0
    bulk_concurrency: int = 0
    production_seconds: list[float] = field(default_factory=list)
    cheap_seconds: list[float] = field(default_factory=list)
    production_hash_seconds: list[float] = field(default_factory=list)

    def rows(self) -> list[Row]:
        section = "2. provisioning"
        production = median(self.production_seconds)
        cheap = median(self.cheap_seconds)
        hashing = median(self.production_hash_seconds)
        rate = self.bulk_count / self.bulk_seconds if self.bulk_seconds else 0.0
        return [
            Row(
                section,
                f"median provision_tenant, production argon2 (n={len(self.production_seconds)})",
                ms(production),
                f"< {ms(PROVISION_TARGET_SECONDS)}",
                verdict(production < PROVISION_TARGET_SECONDS),
            ),
            Row(section, f"median provision_tenant, cheap argon2 (n={len(self.cheap_seconds)})", ms(cheap)),
            Row(
                section,
                "argon2 share: median hash alone, production parameters",
                f"{ms(hashing)} ({hashing / production:.0%} of the production median)",
            ),
            Row(
                section,
                "argon2 share: production median - cheap median",
                f"{ms(production - cheap)} ({(production - cheap) / production:.0%} of the production median)",
            ),
            Row(
                section,
                f"bulk fleet creation, cheap argon2, concurrency {self.bulk_concurrency}",
                f"{self.bulk_count} tenants in {self.bulk_seconds:.1f} s ({rate:.0f}/s)",
            ),
        ]


def _body(prefix: str, index: int) -> TenantCreate:
    slug = f"{prefix}-{index:05d}"
    return TenantCreate(slug=slug, name=f"Bench shop {slug}", owner_email=f"owner@{slug}.example.com")


async def provision_fleet(database_url: str, *, bulk: int, samples: int, concurrency: int = 8) -> ProvisioningResult:
    """Create ``bulk`` tenants concurrently, then time ``samples`` sequential provisionings of each argon2 kind.

    The timed provisionings run last, into a database that already holds the fleet, as production does.
    """
    result = ProvisioningResult(bulk_count=bulk, bulk_concurrency=concurrency)
    state = AppState.build(bench_settings(database_url, pool_size=concurrency, max_overflow=2, auth=CHEAP_ARGON2))
    database, migrations, cheap = state.database, state.migrations, state.auth.passwords
    migrations.upgrade_statements(None, migrations.head)  # rendered and cut once per process, as in a running API
    try:
        gate = asyncio.Semaphore(concurrency)

        async def create(index: int) -> ProvisionedTenant:
            async with gate:
                return await provision_tenant(database, cheap, migrations, _body("bulk", index))

        log(f"provisioning {bulk} tenants (cheap argon2, concurrency {concurrency})")
        started = time.perf_counter()
        result.tenants.extend(await asyncio.gather(*(create(i) for i in range(bulk))))
        result.bulk_seconds = time.perf_counter() - started
        log(f"  {bulk} tenants in {result.bulk_seconds:.1f} s")

        production = Passwords(AuthSettings())
        log(f"timing {samples} provisionings with production argon2 and {samples} with cheap argon2")
        for index in range(samples):
            # Interleaved (hash alone, production, cheap) so that all three see the same machine.
            started = time.perf_counter()
            await production.hash("a-one-time-password-24ch")
            result.production_hash_seconds.append(time.perf_counter() - started)
            for passwords, times, prefix in (
                (production, result.production_seconds, "prod"),
                (cheap, result.cheap_seconds, "cheap"),
            ):
                started = time.perf_counter()
                created = await provision_tenant(database, passwords, migrations, _body(prefix, index))
                times.append(time.perf_counter() - started)
                result.tenants.append(created)
        log(
            f"  median {ms(median(result.production_seconds))} (production argon2), "
            f"{ms(median(result.cheap_seconds))} (cheap argon2)"
        )
    finally:
        await database.dispose()
        state.celery.close()
    return result
