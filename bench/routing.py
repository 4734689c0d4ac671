"""Routing overhead: ``GET /admin/v1/shop`` through the tenant middleware vs the same handler without tenancy.

Three variants; each app runs in its own uvicorn process on a kernel-chosen 127.0.0.1 port, with the
same pool options:

* ``baseline``: ``bench.baseline_app`` on the first tenant's schema (search_path fixed per connection);
* ``tenancy, 1 tenant``: the product app (``api.app.create_app``), every request for that same tenant;
* ``tenancy, N tenants``: the product app, each request for a tenant drawn uniformly at random.

The two product variants share one server process. Every request carries the same two headers
(``X-Tenant`` and a staff bearer token from ``POST /admin/v1/auth/token``). After a warm-up of each
variant (at least two requests per tenant for the spread one), rounds are interleaved (the order flips every round) and each figure is the median of rounds.
Besides throughput and latency, each round records the CPU time per request of the app process, of the
bench database's PostgreSQL backends and of the load generator, and how many new backends appeared
(pool churn), so the overhead can be explained and not only measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from api.app import create_app
from bench.baseline_app import create_baseline_app, middleware_difference
from bench.common import (
    REPO_ROOT,
    Row,
    backend_cpu_seconds,
    bench_settings,
    child_environment,
    log,
    machine_busy_seconds,
    median,
    ms,
    pct,
    process_cpu_seconds,
    verdict,
)
from bench.loadgen import LOOPBACK, Headers, LoadClient, LoadResult, httpx_client, load_client
from commerce.provisioning import ProvisionedTenant
from core.db import sqlalchemy_url
from tenants.context import TenantContext
from tenants.models import Tenant, TenantStatus

SHOP_PATH = "/admin/v1/shop"
OVERHEAD_TARGET = 0.10

BASELINE = "baseline"
ONE_TENANT = "tenancy, 1 tenant"
MANY_TENANTS = "tenancy, N tenants"
WHAT_IF = "what-if: N tenants, async get_state/get_tenant, cache TTL 600 s"


@dataclass(slots=True)
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path


@contextlib.contextmanager
def start_server(
    name: str, app: str, database_url: str, pool_size: int, max_overflow: int, *extra: str
) -> Iterator[Server]:
    """``python -m bench.serve`` on an inherited listening socket bound to 127.0.0.1 (port chosen by the kernel)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    sock.listen(2048)
    port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "bench.serve", "--app", app, "--database-url", database_url, "--fd", str(sock.fileno()),
        "--pool-size", str(pool_size), "--max-overflow", str(max_overflow), *extra,
    ]  # fmt: skip
    with tempfile.NamedTemporaryFile(prefix=f"bench-{app}-", suffix=".log", delete=False) as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=child_environment(), pass_fds=[sock.fileno()], stdout=log_file, stderr=log_file
        )
    sock.close()
    server = Server(name, process, port, Path(log_file.name))
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.log_path.unlink(missing_ok=True)


def _wait_ready(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=f"http://{LOOPBACK}:{server.port}", trust_env=False, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if http.get("/healthz").status_code == 200:
                    return
            time.sleep(0.1)
    tail = server.log_path.read_text()[-3000:] if server.log_path.exists() else ""
    raise RuntimeError(f"the {server.name} server did not start:\n{tail}")


class Backends:
    """The PostgreSQL backends connected to the bench database, when they run on this machine."""

    def __init__(self, database_url: str) -> None:
        self._engine = create_engine(sqlalchemy_url(database_url), poolclass=NullPool)

    def cpu(self) -> dict[int, float]:
        """CPU seconds so far of each backend of the bench database (except the one asking)."""
        with self._engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalars()
            return backend_cpu_seconds(list(pids))

    def dispose(self) -> None:
        self._engine.dispose()


@dataclass(slots=True)
class VariantStats:
    name: str
    rounds: list[LoadResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return median([r.rps for r in self.rounds])

    @property
    def p50(self) -> float:
        return median([r.p50 for r in self.rounds])

    @property
    def p99(self) -> float:
        return median([r.p99 for r in self.rounds])

    def cpu_ms(self, kind: str) -> float | None:
        """Median CPU milliseconds per request of the app process (``app``), its backends or the load generator."""
        values = [
            r.cpu_ms_per_request(
                {"app": r.server_cpu_seconds, "postgres": r.postgres_cpu_seconds, "client": r.client_cpu_seconds}[kind]
            )
            for r in self.rounds
        ]
        known = [v for v in values if v is not None]
        return median(known) if known else None

    def per_request(self, counter: str) -> float | None:
        known = [v for v in (r.per_request(counter) for r in self.rounds) if v is not None]
        return median(known) if known else None


@dataclass(slots=True)
class RoutingResult:
    tenants: int
    concurrency: int
    requests_per_round: int
    client: str
    pool: str
    variants: dict[str, VariantStats]
    stack_difference: str | None = None

    def rows(self) -> list[Row]:
        section = "1. routing overhead"
        rows: list[Row] = [
            Row(
                section,
                "baseline middleware = product's minus TenantMiddleware",
                "yes" if self.stack_difference is None else f"NO: {self.stack_difference}",
                "",
                "info" if self.stack_difference is None else "GAP",
            )
        ]
        for stats in self.variants.values():
            rows.append(
                Row(
                    section,
                    f"{stats.name} (median of {len(stats.rounds)} rounds)",
                    f"{stats.rps:.0f} req/s, p50 {ms(stats.p50)}, p99 {ms(stats.p99)}",
                )
            )
        for stats in self.variants.values():
            cpu = ", ".join(
                f"{kind} {value:.2f}"
                for kind in ("app", "postgres", "client")
                if (value := stats.cpu_ms(kind)) is not None
            )
            rows.append(Row(section, f"{stats.name}: CPU ms per request", cpu or "n/a"))
        for stats in self.variants.values():
            counts = [
                f"{label} {value:.2f}"
                for counter, label in (
                    ("statements", "SQL statements"),
                    ("registry_lookups", "registry lookups"),
                    ("connects", "new connections"),
                )
                if (value := stats.per_request(counter)) is not None
            ]
            rows.append(Row(section, f"{stats.name}: per request", ", ".join(counts) or "n/a"))
        shares = [r.foreign_cpu_share for v in self.variants.values() for r in v.rounds]
        known = [s for s in shares if s is not None]
        if known:
            rows.append(
                Row(
                    section,
                    "noise: machine CPU used by other processes during the rounds",
                    f"median {median(known):.0%}, max {max(known):.0%}",
                )
            )
        base = self.variants[BASELINE]
        labels = {MANY_TENANTS: f"{self.tenants} tenants", ONE_TENANT: "1 tenant", WHAT_IF: "what-if"}
        for name in (n for n in (MANY_TENANTS, ONE_TENANT, WHAT_IF) if n in self.variants):
            graded = name == MANY_TENANTS
            stats = self.variants[name]
            label = labels[name]
            measures: list[tuple[str, float, bool]] = [
                ("req/s lost", 1 - stats.rps / base.rps, graded),
                ("p50 latency added", stats.p50 / base.p50 - 1, graded),
                ("p99 latency added", stats.p99 / base.p99 - 1, graded),
            ]
            base_cpu, variant_cpu = _total_cpu(base), _total_cpu(stats)
            if base_cpu is not None and variant_cpu is not None:
                # Less sensitive to other processes than throughput: the diagnosis, not the verdict.
                measures.append(("CPU per request added (app + postgres)", variant_cpu / base_cpu - 1, False))
            for measure, value, judged in measures:
                rows.append(
                    Row(
                        section,
                        f"{label} vs baseline: {measure}",
                        pct(value),
                        f"<= {OVERHEAD_TARGET:.0%}" if judged else "",
                        verdict(value <= OVERHEAD_TARGET) if judged else "info",
                    )
                )
        return rows


def _stack_difference(database_url: str, tenant: Tenant) -> str | None:
    """Build both apps (no connection is opened) and compare their middleware stacks."""
    settings = bench_settings(database_url)
    context = TenantContext(id=tenant.id, slug=tenant.slug, schema_name=tenant.schema_name, status=TenantStatus.ACTIVE)
    return middleware_difference(
        create_app(settings, listen_for_tenant_changes=False), create_baseline_app(settings, context)
    )


def _total_cpu(stats: VariantStats) -> float | None:
    app, postgres = stats.cpu_ms("app"), stats.cpu_ms("postgres")
    return None if app is None or postgres is None else app + postgres


async def _login(port: int, tenants: list[ProvisionedTenant], concurrency: int) -> list[str]:
    gate = asyncio.Semaphore(concurrency)
    async with httpx_client(port, concurrency) as http:

        async def one(created: ProvisionedTenant) -> str:
            async with gate:
                response = await http.post(
                    "/admin/v1/auth/token",
                    json={"email": created.owner_email, "password": created.owner_password},
                    headers={"X-Tenant": created.tenant.slug},
                )
            if response.status_code != 200:
                raise RuntimeError(f"login on {created.tenant.slug} answered {response.status_code}: {response.text}")
            token: str = response.json()["access_token"]
            return token

        return list(await asyncio.gather(*(one(t) for t in tenants)))


def _headers(slug: str, token: str) -> Headers:
    return {"X-Tenant": slug, "Authorization": f"Bearer {token}"}


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


async def _server_counters(server: Server) -> dict[str, int]:
    async with httpx_client(server.port, 1) as http:
        response = await http.get("/_bench/stats")
        response.raise_for_status()
        counters: dict[str, int] = response.json()
        return counters


async def _measure(
    server: Server, load: LoadClient, headers: list[Headers], concurrency: int, backends: Backends
) -> LoadResult:
    gc.collect()
    counters = await _server_counters(server)
    server_cpu = process_cpu_seconds(server.process.pid)
    postgres_cpu = backends.cpu()
    machine = machine_busy_seconds()
    client_cpu = time.process_time()
    result = await load.get(SHOP_PATH, headers, concurrency=concurrency)
    result.client_cpu_seconds = time.process_time() - client_cpu
    machine_after = machine_busy_seconds()
    server_after = process_cpu_seconds(server.process.pid)
    postgres_after = backends.cpu()
    counters_after = await _server_counters(server)
    result.server_counters = {name: counters_after[name] - counters.get(name, 0) for name in counters_after}
    if result.errors:
        raise RuntimeError(f"{server.name}: non-200 answers {result.errors}")
    if machine is not None and machine_after is not None:
        result.machine_busy_seconds = machine_after - machine
    if server_cpu is not None and server_after is not None:
        result.server_cpu_seconds = server_after - server_cpu
    if postgres_after:
        # A backend that appeared during the round counts from zero; one that left is lost (see "new connections").
        result.postgres_cpu_seconds = sum(after - postgres_cpu.get(pid, 0.0) for pid, after in postgres_after.items())
    return result


async def run_routing(
    database_url: str,
    tenants: list[ProvisionedTenant],
    *,
    rounds: int,
    requests: int,
    warmup: int,
    concurrency: int,
    pool_size: int,
    max_overflow: int,
    client: str = "raw",
    what_if: bool = True,
    seed: int = 20_261_126,
) -> RoutingResult:
    rng = random.Random(seed)
    first = tenants[0].tenant
    stack_difference = _stack_difference(database_url, first)
    if stack_difference:
        log(f"WARNING: the baseline's middleware differs from the product's: {stack_difference}")
    baseline_args = ("--tenant-id", str(first.id), "--slug", first.slug, "--schema", first.schema_name)
    backends = Backends(database_url)
    try:
        with contextlib.ExitStack() as servers:
            tenant_server = servers.enter_context(
                start_server("tenant app", "tenant", database_url, pool_size, max_overflow)
            )
            base = servers.enter_context(
                start_server("baseline app", "baseline", database_url, pool_size, max_overflow, *baseline_args)
            )
            what_if_server = (
                servers.enter_context(start_server("what-if app", "what-if", database_url, pool_size, max_overflow))
                if what_if
                else None
            )
            log(f"logging in the owners of {len(tenants)} tenants")
            tokens = await _login(tenant_server.port, tenants, concurrency)
            single = _headers(first.slug, tokens[0])
            everyone = [_headers(t.tenant.slug, token) for t, token in zip(tenants, tokens, strict=True)]

            def headers_for(name: str, count: int) -> list[Headers]:
                return (
                    [rng.choice(everyone) for _ in range(count)]
                    if name in (MANY_TENANTS, WHAT_IF)
                    else [single] * count
                )

            tenant_load = load_client(client, tenant_server.port, concurrency)
            base_load = load_client(client, base.port, concurrency)
            plan: list[tuple[str, Server, LoadClient]] = [
                (BASELINE, base, base_load),
                (ONE_TENANT, tenant_server, tenant_load),
                (MANY_TENANTS, tenant_server, tenant_load),
            ]
            if what_if_server is not None:
                plan.append((WHAT_IF, what_if_server, load_client(client, what_if_server.port, concurrency)))
            try:
                log(f"warm-up: {warmup} requests per variant ({client} client, {concurrency} connections)")
                for name, server, load in plan:
                    # The spread variant warms longer: each pooled backend should have met many of the schemas.
                    count = max(warmup, 2 * len(tenants)) if name in (MANY_TENANTS, WHAT_IF) else warmup
                    await _measure(server, load, headers_for(name, count), concurrency, backends)
                stats = {name: VariantStats(name) for name, _, _ in plan}
                for index in range(rounds):
                    for name, server, load in plan if index % 2 == 0 else plan[::-1]:
                        result = await _measure(server, load, headers_for(name, requests), concurrency, backends)
                        stats[name].rounds.append(result)
                        log(
                            f"  round {index + 1}/{rounds} {name}: {result.rps:.0f} req/s, "
                            f"p50 {ms(result.p50)}, p99 {ms(result.p99)}, "
                            f"CPU of other processes {_share(result.foreign_cpu_share)}"
                        )
            finally:
                for _, _, load in plan:
                    await load.aclose()
    finally:
        backends.dispose()
    return RoutingResult(
        tenants=len(tenants),
        concurrency=concurrency,
        requests_per_round=requests,
        client=client,
        pool=f"pool_size={pool_size}, max_overflow={max_overflow}",
        variants=stats,
        stack_difference=stack_difference,
    )
