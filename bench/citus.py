"""The product on Citus beside plain PostgreSQL, in one run: reads, provisioning, fleet migrations.

    uv run python -m bench.citus                       # 40 tenants per fleet, about 3 minutes on 2 cores
    uv run python -m bench.citus --tenants 200

Two fleets are built the same way (``bench.provisioning.provision_fleet``), one in a fresh database on
plain PostgreSQL (``--plain-url``, default 127.0.0.1:5432) and one on a Citus coordinator
(``--citus-url``, default 127.0.0.1:56432, the cluster of ``../shared/citus/cluster.sh``), where every
tenant schema is a distributed schema on one of the workers. Then:

* authenticated reads: ``GET /admin/v1/shop`` with an owner's token, each request for a tenant drawn at
  random, through the product app under uvicorn (one process per fleet, same pool), rounds interleaved
  between the two servers; the ratio is Citus / plain of the medians;
* provisioning: the median of timed ``provision_tenant`` calls (production and cheap argon2);
* fleet migrations: a no-op ``commerce migrate`` and a one-column migration over the whole fleet
  (``bench.fleet_migrations``).

Every process (both PostgreSQL servers, the three Citus nodes, both apps, the load generator) shares
the machine: the ratios are what to read, and the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random

from bench.common import Row, bench_database, format_table, load_average, log, median, ms
from bench.fleet_migrations import FleetResult, run_fleet_benchmarks
from bench.loadgen import Headers, LoadResult, load_client
from bench.provisioning import ProvisioningResult, provision_fleet
from bench.routing import SHOP_PATH, _headers, _login, start_server

PLAIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CITUS_URL = "postgresql+psycopg://postgres@127.0.0.1:56432/postgres"
KINDS = ("plain", "citus")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=40, help="Tenants in each fleet (default 40).")
    parser.add_argument("--plain-url", default=PLAIN_URL)
    parser.add_argument("--citus-url", default=CITUS_URL)
    parser.add_argument("--provision-samples", type=int, default=5, help="Timed provisionings per argon2 kind.")
    parser.add_argument("--http-rounds", type=int, default=4, help="Interleaved rounds per server.")
    parser.add_argument("--http-requests", type=int, default=600, help="Requests per round.")
    parser.add_argument("--http-concurrency", type=int, default=8, help="Connections in flight.")
    parser.add_argument("--pool-size", type=int, default=5, help="Pool of each app.")
    parser.add_argument("--skip-fleet", action="store_true", help="Leave the fleet migrations out.")
    return parser.parse_args(argv)


async def _reads(
    args: argparse.Namespace, urls: dict[str, str], fleets: dict[str, ProvisioningResult]
) -> dict[str, list[LoadResult]]:
    rounds: dict[str, list[LoadResult]] = {kind: [] for kind in KINDS}
    with contextlib.ExitStack() as stack:
        servers = {
            kind: stack.enter_context(start_server(kind, "tenant", urls[kind], args.pool_size, 0)) for kind in KINDS
        }
        headers: dict[str, list[Headers]] = {}
        for kind in KINDS:
            tokens = await _login(servers[kind].port, fleets[kind].tenants, args.http_concurrency)
            every = [_headers(t.tenant.slug, token) for t, token in zip(fleets[kind].tenants, tokens, strict=True)]
            draw = random.Random(7)
            headers[kind] = [draw.choice(every) for _ in range(args.http_requests)]
        clients = {kind: load_client("raw", servers[kind].port, args.http_concurrency) for kind in KINDS}
        try:
            for kind in KINDS:  # warm-up: every tenant's statements planned once, pools filled
                await clients[kind].get(SHOP_PATH, headers[kind], concurrency=args.http_concurrency)
            for round_ in range(args.http_rounds):
                order = KINDS if round_ % 2 == 0 else tuple(reversed(KINDS))
                for kind in order:
                    result = await clients[kind].get(SHOP_PATH, headers[kind], concurrency=args.http_concurrency)
                    if result.errors:
                        raise RuntimeError(f"{kind}: non-200 answers {result.errors}")
                    rounds[kind].append(result)
                    log(f"  {kind} round {round_ + 1}: {result.rps:.0f} req/s, p50 {ms(result.p50)}")
        finally:
            for client in clients.values():
                await client.aclose()
    return rounds


def _ratio_row(section: str, what: str, plain: float, citus: float, fmt: str = "ms") -> Row:
    shown = (ms(plain), ms(citus)) if fmt == "ms" else (f"{plain:.0f}", f"{citus:.0f}")
    return Row(section, what, f"plain {shown[0]}, Citus {shown[1]}", f"Citus / plain = {citus / plain:.2f}", "info")


def report(
    args: argparse.Namespace,
    reads: dict[str, list[LoadResult]],
    fleets: dict[str, ProvisioningResult],
    migrations: dict[str, FleetResult],
) -> list[Row]:
    rows: list[Row] = []
    section = "reads: GET /admin/v1/shop, random tenant, owner token"
    rps = {k: median([r.rps for r in reads[k]]) for k in KINDS}
    p50 = {k: median([r.p50 for r in reads[k]]) for k in KINDS}
    p99 = {k: median([r.p99 for r in reads[k]]) for k in KINDS}
    rows.append(
        _ratio_row(section, f"throughput, req/s (median of {args.http_rounds} rounds)", rps["plain"], rps["citus"], "n")
    )
    rows.append(_ratio_row(section, "p50 latency", p50["plain"], p50["citus"]))
    rows.append(_ratio_row(section, "p99 latency", p99["plain"], p99["citus"]))
    section = "provisioning (provision_tenant, whole schema)"
    for label, attribute in (("production argon2", "production_seconds"), ("cheap argon2", "cheap_seconds")):
        values = {k: median(getattr(fleets[k], attribute)) for k in KINDS}
        rows.append(
            _ratio_row(section, f"median, {label} (n={args.provision_samples})", values["plain"], values["citus"])
        )
    for kind in KINDS:
        fleet = fleets[kind]
        rows.append(
            Row(
                section,
                f"{kind}: bulk, concurrency {fleet.bulk_concurrency}",
                f"{fleet.bulk_count} in {fleet.bulk_seconds:.1f} s",
            )
        )
    if migrations:
        section = "fleet migrations (migrate_public + plan + run)"
        noop = {k: median(migrations[k].noop_seconds) for k in KINDS}
        rows.append(
            _ratio_row(section, f"no-op, {migrations['plain'].tenants} tenants at head", noop["plain"], noop["citus"])
        )
        for index, run in enumerate(migrations["plain"].runs):
            citus_run = migrations["citus"].runs[index]
            failed = len(run.report.failed) + len(citus_run.report.failed)
            rows.append(
                _ratio_row(
                    section,
                    f"one column, concurrency {run.concurrency} ({failed} failed)",
                    run.seconds,
                    citus_run.seconds,
                )
            )
    return rows


async def main_async(args: argparse.Namespace) -> None:
    servers = {"plain": args.plain_url, "citus": args.citus_url}
    with contextlib.ExitStack() as stack:
        urls = {kind: stack.enter_context(bench_database(servers[kind])) for kind in KINDS}
        fleets: dict[str, ProvisioningResult] = {}
        for kind in KINDS:
            log(f"{kind}: provisioning {args.tenants} tenants")
            fleets[kind] = await provision_fleet(urls[kind], bulk=args.tenants, samples=args.provision_samples)
        log("reads, interleaved between the two servers")
        reads = await _reads(args, urls, fleets)
        migrations: dict[str, FleetResult] = {}
        if not args.skip_fleet:
            for kind in KINDS:
                log(f"{kind}: fleet migrations")
                migrations[kind] = run_fleet_benchmarks(urls[kind], noop_repeats=3)
        print(f"load average before the table: {load_average()}")
        print(format_table(report(args, reads, fleets, migrations)))


def main(argv: list[str] | None = None) -> None:
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
