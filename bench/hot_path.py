"""5. The hot path: the product's authenticated reads and its write next to a raw baseline, in one run.

Routes: ``GET /admin/v1/shop`` with a staff token and with an API key, ``GET /storefront/v1/shop`` with an
OAuth access token (client credentials), ``PATCH /admin/v1/shop`` with a staff token. Variants, each in its
own uvicorn process (one worker, uvloop, httptools), interleaved round by round:

* *raw*: ``bench/raw_app.py``, Starlette + psycopg, hand-written SQL doing the same credential check and
  the same read or update on the same tables, same JSON (one statement, one round trip, no cache);
* *product, N tenants*: ``api.app.create_app``, each request for a tenant drawn at random from the fleet;
* *product, 1 tenant*: the same app, every request for the first tenant.

For each: req/s, p50/p99 at ``--concurrency`` connections (64), app CPU and PostgreSQL CPU per request
(``/proc``), and the product's round trips per request, counted exactly (``core.roundtrips``: libpq's
protocol trace) in a separate phase of 200 requests after the warm-up, so tracing never slows the timed
rounds. Credentials are issued in-process through the product's services (an owner's staff token, an
API key with ``settings:write``, a client-credentials token of a confidential client) for every tenant.

    uv run python -m bench.hot_path --tenants 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from api.state import AppState
from auth.api_keys import service as api_keys_service
from auth.api_keys.schemas import ApiKeyCreate
from auth.grants import service as grants
from auth.grants.models import Holder
from auth.oauth import service as oauth_service
from auth.oauth.models import ClientKind
from auth.oauth.schemas import OAuthClientCreate
from auth.principals import Principal, PrincipalKind
from auth.staff.models import StaffMember, StaffRole
from auth.staff.roles import ROLE_SCOPES
from bench.common import (
    Row,
    bench_database,
    bench_settings,
    format_table,
    load_average,
    log,
    machine_busy_seconds,
    median,
    ms,
    process_cpu_seconds,
    server_url,
    verdict,
)
from bench.loadgen import Headers, LoadResult, RawClient, httpx_client
from bench.provisioning import provision_fleet
from bench.routing import Backends, Server, start_server
from commerce.provisioning import ProvisionedTenant
from tenants.context import TenantContext, tenant_session

SECTION = "5. hot path"
RAW, MANY, ONE = "raw", "product, N tenants", "product, 1 tenant"
PATCH_BODY = json.dumps({"name": "Bench shop"}).encode()


@dataclass(frozen=True, slots=True)
class Route:
    label: str
    method: str
    path: str
    credential: str  # staff | key | client
    body: bytes = b""

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


ROUTES = (
    Route("GET /admin/v1/shop (staff token)", "GET", "/admin/v1/shop", "staff"),
    Route("GET /admin/v1/shop (API key)", "GET", "/admin/v1/shop", "key"),
    Route("GET /storefront/v1/shop (OAuth token)", "GET", "/storefront/v1/shop", "client"),
    Route("PATCH /admin/v1/shop (staff token)", "PATCH", "/admin/v1/shop", "staff", PATCH_BODY),
)


@dataclass(frozen=True, slots=True)
class Credentials:
    slug: str
    staff: str
    key: str
    client: str

    def headers(self, kind: str) -> Headers:
        return {"X-Tenant": self.slug, "Authorization": f"Bearer {getattr(self, kind)}"}


@dataclass(slots=True)
class Cell:
    rounds: list[LoadResult] = field(default_factory=list)
    round_trips: float | None = None

    def median(self, attribute: str) -> float:
        return median([getattr(r, attribute) for r in self.rounds])

    def cpu(self, attribute: str) -> float | None:
        values = [r.cpu_ms_per_request(getattr(r, attribute)) for r in self.rounds]
        known = [v for v in values if v is not None]
        return median(known) if known else None


async def issue_credentials(database_url: str, tenants: Sequence[ProvisionedTenant]) -> list[Credentials]:
    """Per tenant: an owner's staff token, an API key (settings:write), a client-credentials OAuth token."""
    state = AppState.build(bench_settings(database_url, pool_size=4, max_overflow=0))
    gate = asyncio.Semaphore(4)

    async def issue(created: ProvisionedTenant) -> Credentials:
        tenant = TenantContext.of(created.tenant)
        async with gate, tenant_session(state.database, tenant) as db:
            owner = await db.scalar(select(StaffMember).where(StaffMember.role == StaffRole.OWNER))
            assert owner is not None
            staff = await grants.issue(
                db, state.auth.hasher, tenant.id, grants.TokenHolder(Holder.STAFF, staff_id=owner.id),
                scope="", access_ttl_seconds=86_400, refresh_ttl_seconds=None,
            )  # fmt: skip
            actor = Principal(kind=PrincipalKind.STAFF, id=owner.id, scopes=ROLE_SCOPES[StaffRole.OWNER])
            _, key = await api_keys_service.create_key(
                db, state.auth, tenant, ApiKeyCreate(name="bench", scopes=["settings:write"]), actor=actor
            )
            body = OAuthClientCreate(
                name="bench", kind=ClientKind.CONFIDENTIAL, redirect_uris=["https://shop.example.com/cb"],
                scopes=["storefront:catalog"],
            )  # fmt: skip
            client, _ = await oauth_service.register_client(db, state.auth, tenant, body)
            token = await grants.issue(
                db, state.auth.hasher, tenant.id, grants.TokenHolder(Holder.CLIENT, client_id=client.id),
                scope="storefront:catalog", access_ttl_seconds=86_400, refresh_ttl_seconds=None,
            )  # fmt: skip
            await db.commit()
        return Credentials(tenant.slug, staff.access_token, key, token.access_token)

    try:
        return list(await asyncio.gather(*(issue(t) for t in tenants)))
    finally:
        await state.database.dispose()
        await state.auth.close()


async def _post(server: Server, path: str) -> dict[str, int]:
    async with httpx_client(server.port, 1) as http:
        response = await http.post(path)
        response.raise_for_status()
        counts: dict[str, int] = response.json()
        return counts


async def _measure(
    server: Server, load: RawClient, route: Route, headers: list[Headers], concurrency: int, backends: Backends
) -> LoadResult:
    gc.collect()
    server_cpu, postgres_cpu, machine = process_cpu_seconds(server.process.pid), backends.cpu(), machine_busy_seconds()
    client_cpu = time.process_time()
    result = await load.request(route.method, route.path, headers, concurrency=concurrency, body=route.body)
    result.client_cpu_seconds = time.process_time() - client_cpu
    server_after, postgres_after, machine_after = (
        process_cpu_seconds(server.process.pid),
        backends.cpu(),
        machine_busy_seconds(),
    )
    if result.errors:
        raise RuntimeError(f"{server.name} {route.label}: non-2xx answers {result.errors}")
    if server_cpu is not None and server_after is not None:
        result.server_cpu_seconds = server_after - server_cpu
    if postgres_after:
        result.postgres_cpu_seconds = sum(after - postgres_cpu.get(pid, 0.0) for pid, after in postgres_after.items())
    if machine is not None and machine_after is not None:
        result.machine_busy_seconds = machine_after - machine
    return result


async def run_hot_path(
    database_url: str,
    tenants: Sequence[ProvisionedTenant],
    *,
    rounds: int,
    requests: int,
    warmup: int,
    concurrency: int,
    pool_size: int,
    seed: int = 20_261_206,
) -> list[Row]:
    rng = random.Random(seed)
    log(f"issuing credentials for {len(tenants)} tenants")
    credentials = await issue_credentials(database_url, tenants)
    backends = Backends(database_url)
    cells: dict[tuple[str, str], Cell] = {}
    rss: float | None = None
    private: list[float] = []
    try:
        with contextlib.ExitStack() as stack:
            servers = {
                RAW: stack.enter_context(start_server("raw app", "raw", database_url, pool_size, 0)),
                MANY: stack.enter_context(start_server("product", "tenant", database_url, pool_size, 0)),
            }
            servers[ONE] = servers[MANY]
            loads = {name: RawClient(server.port) for name, server in servers.items()}

            def headers(variant: str, route: Route, count: int) -> list[Headers]:
                if variant == ONE:
                    return [credentials[0].headers(route.credential)] * count
                return [rng.choice(credentials).headers(route.credential) for _ in range(count)]

            plan = [(variant, route) for route in ROUTES for variant in (RAW, MANY, ONE)]
            log(f"warm-up: {warmup} requests per variant and route (at least 2 per tenant on the fleet)")
            for variant, route in plan:
                count = warmup if variant == ONE else max(warmup, 2 * len(credentials))
                await _measure(
                    servers[variant], loads[variant], route, headers(variant, route, count), concurrency, backends
                )
            for variant, route in plan:
                cell = cells[(variant, route.label)] = Cell()
                if variant != RAW:  # the raw app: one statement per request by construction
                    await _post(servers[variant], "/_bench/count/start")
                    await loads[variant].request(
                        route.method, route.path, headers(variant, route, 200), concurrency=8, body=route.body
                    )
                    cell.round_trips = (await _post(servers[variant], "/_bench/count/stop"))["round_trips"] / 200
            for index in range(rounds):
                for variant, route in plan if index % 2 == 0 else plan[::-1]:
                    result = await _measure(
                        servers[variant],
                        loads[variant],
                        route,
                        headers(variant, route, requests),
                        concurrency,
                        backends,
                    )
                    cells[(variant, route.label)].rounds.append(result)
                    log(
                        f"  round {index + 1}/{rounds} {variant}, {route.label}: {result.rps:.0f} req/s, "
                        f"p50 {ms(result.p50)}, p99 {ms(result.p99)}"
                    )
            rss = _memory_mib(servers[MANY].process.pid, "VmRSS")
            private = [m for pid in backends.cpu() if (m := _memory_mib(pid, "RssAnon")) is not None]
    finally:
        backends.dispose()
    rows = _rows(cells, len(tenants), concurrency)
    if rss is not None:
        rows.append(Row(SECTION, f"API worker RSS after serving {len(tenants)} tenants", f"{rss:.0f} MiB"))
    if private:
        rows.append(
            Row(
                SECTION,
                "PostgreSQL backends of the run: private memory (catalog caches and the like)",
                f"median {median(private):.0f} MiB, max {max(private):.0f} MiB ({len(private)} backends)",
            )
        )
    return rows


def _memory_mib(pid: int, field: str) -> float | None:
    """A memory figure of one process from ``/proc/<pid>/status`` (``VmRSS``, ``RssAnon``), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _rows(cells: dict[tuple[str, str], Cell], tenants: int, concurrency: int) -> list[Row]:
    rows: list[Row] = []
    for route in ROUTES:
        for variant in (RAW, MANY, ONE):
            cell = cells[(variant, route.label)]
            app, postgres = cell.cpu("server_cpu_seconds"), cell.cpu("postgres_cpu_seconds")
            trips = "1 (by construction)" if variant == RAW else f"{cell.round_trips:.2f}"
            rows.append(
                Row(
                    SECTION,
                    f"{route.label}, {variant.replace('N tenants', f'{tenants} tenants')}",
                    f"{cell.median('rps'):.0f} req/s, p50 {ms(cell.median('p50'))}, p99 {ms(cell.median('p99'))}, "
                    f"app {_cpu(app)} + pg {_cpu(postgres)} ms CPU, {trips} round trips",
                )
            )
    for route in ROUTES:
        raw, many, one = (cells[(v, route.label)] for v in (RAW, MANY, ONE))
        app, pg_many, pg_one = (
            many.cpu("server_cpu_seconds"),
            many.cpu("postgres_cpu_seconds"),
            one.cpu("postgres_cpu_seconds"),
        )
        ratio = many.median("rps") / raw.median("rps")
        spread = many.median("p99") / many.median("p50")
        measured_trips = many.round_trips or 0.0
        limit = 2 if route.is_read else 4
        if route.is_read:
            rows.append(
                Row(
                    SECTION,
                    f"{route.label}: req/s vs raw, {tenants} tenants",
                    f"{ratio:.0%}",
                    ">= 40%",
                    verdict(ratio >= 0.4),
                )
            )
            if app is not None:
                rows.append(
                    Row(
                        SECTION,
                        f"{route.label}: app CPU per request",
                        f"{app:.2f} ms",
                        "<= 1.0 ms",
                        verdict(app <= 1.0),
                    )
                )
            if pg_many is not None and pg_one:
                pg_ratio = pg_many / pg_one
                rows.append(
                    Row(
                        SECTION,
                        f"{route.label}: PostgreSQL CPU, {tenants} tenants / 1 tenant",
                        f"{pg_ratio:.2f}x",
                        "<= 1.5x",
                        verdict(pg_ratio <= 1.5),
                    )
                )
        rows.append(
            Row(
                SECTION,
                f"{route.label}: p99 / p50 at {concurrency} connections",
                f"{spread:.1f}x",
                "< 4x",
                verdict(spread < 4),
            )
        )
        rows.append(
            Row(
                SECTION,
                f"{route.label}: round trips per request",
                f"{measured_trips:.2f}",
                f"<= {limit}",
                verdict(measured_trips <= limit),
            )
        )
    noise = [r.foreign_cpu_share for c in cells.values() for r in c.rounds if r.foreign_cpu_share is not None]
    if noise:
        rows.append(
            Row(
                SECTION,
                "noise: machine CPU used by other processes",
                f"median {median(noise):.0%}, max {max(noise):.0%}",
            )
        )
    return rows


def _cpu(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000, help="Requests per variant, route and round.")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args(argv)
    started, load_before = time.perf_counter(), load_average()
    with bench_database(server_url(args.database_url)) as database_url:
        fleet = asyncio.run(provision_fleet(database_url, bulk=args.tenants - 2, samples=1))
        rows = asyncio.run(
            run_hot_path(
                database_url, fleet.tenants, rounds=args.rounds, requests=args.requests, warmup=args.warmup,
                concurrency=args.concurrency, pool_size=args.pool_size,
            )
        )  # fmt: skip
    print(
        f"commerce hot path: {args.tenants} tenants, {args.rounds} rounds x {args.requests} requests, "
        f"concurrency {args.concurrency}, pool {args.pool_size}; total {time.perf_counter() - started:.0f} s; "
        f"load average {load_before} at start, {load_average()} at end\n"
    )
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
