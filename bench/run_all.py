"""Run every benchmark in one go and print one table: measured, target, PASS/GAP.

    uv run python bench/run_all.py                 # 1,000 tenants (about 5 minutes on 2 cores)
    uv run python bench/run_all.py --tenants 50    # a quick run

A fresh ``commerce_bench_<random>`` database is created on the server of ``--database-url`` (or
``BENCH_DATABASE_URL``, or the local PostgreSQL on 127.0.0.1:5432, or the embedded one) and dropped at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/run_all.py` puts bench/ first on sys.path, where its modules would shadow top-level
# packages (the tenant migrations import `migrations.models`): put the repository root there instead.
_ROOT = str(Path(__file__).resolve().parent.parent)
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = _ROOT
elif _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import Row, bench_database, format_table, load_average, log, server_url, wait_until_quiet  # noqa: E402
from bench.fleet_migrations import run_fleet_benchmarks  # noqa: E402
from bench.hot_path import run_hot_path  # noqa: E402
from bench.provisioning import provision_fleet  # noqa: E402
from bench.routing import run_routing  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000, help="Tenants in the fleet (default 1000).")
    parser.add_argument("--database-url", help="Server to create the bench database on (default: local, embedded).")
    parser.add_argument(
        "--provision-samples", type=int, help="Timed provisionings per argon2 kind (default 15; 5 below 200 tenants)."
    )
    parser.add_argument("--provision-concurrency", type=int, default=8, help="Concurrency of the bulk creation.")
    parser.add_argument(
        "--http-requests", type=int, help="Requests per variant per round (default 1200; 500 below 200 tenants)."
    )
    parser.add_argument("--http-warmup", type=int, default=500, help="Warm-up requests per variant.")
    parser.add_argument(
        "--http-rounds", type=int, help="Interleaved rounds per variant (default 5; 3 below 200 tenants)."
    )
    parser.add_argument("--http-concurrency", type=int, default=16, help="Connections in flight.")
    parser.add_argument(
        "--http-client", choices=("raw", "httpx"), default="raw", help="Load generator (raw: cheap asyncio HTTP/1.1)."
    )
    parser.add_argument("--pool-size", type=int, default=10, help="Pool of both apps (product default 5).")
    parser.add_argument("--max-overflow", type=int, default=0, help="Overflow of both apps (product default 5).")
    parser.add_argument(
        "--what-if",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Also serve the product with async get_state/get_tenant and a 600 s tenant cache (patched in memory).",
    )
    parser.add_argument("--skip-http", action="store_true", help="Skip the routing and hot-path benchmarks.")
    parser.add_argument(
        "--hot-path-concurrency", type=int, default=64, help="Connections in flight in the hot-path benchmark."
    )
    parser.add_argument("--skip-fleet", action="store_true", help="Skip the fleet migration benchmarks.")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="First wait up to SECONDS for the machine to be less than 25%% busy (shared machines).",
    )
    parser.add_argument("--keep-database", action="store_true", help="Do not drop the bench database.")
    args = parser.parse_args(argv)
    quick = args.tenants < 200
    args.provision_samples = args.provision_samples or (5 if quick else 15)
    args.http_requests = args.http_requests or (500 if quick else 1200)
    args.http_rounds = args.http_rounds or (3 if quick else 5)
    samples = args.provision_samples
    if args.tenants < 2 * samples + 1:
        parser.error(f"--tenants must be at least {2 * samples + 1} with --provision-samples {samples}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.wait_quiet > 0:
        share = wait_until_quiet(args.wait_quiet)
        log(f"machine busy before the run: {'n/a' if share is None else f'{share:.0%}'}")
    started = time.perf_counter()
    load_before = load_average()
    server = server_url(args.database_url)
    log(f"server {make_url(server).render_as_string(hide_password=True)}; {args.tenants} tenants")
    rows: list[Row] = []
    with bench_database(server, keep=args.keep_database) as database_url:
        samples = args.provision_samples
        provisioned = asyncio.run(
            provision_fleet(
                database_url,
                bulk=args.tenants - 2 * samples,
                samples=samples,
                concurrency=args.provision_concurrency,
            )
        )
        fleet = None if args.skip_fleet else run_fleet_benchmarks(database_url)
        if not args.skip_http:
            routing = asyncio.run(
                run_routing(
                    database_url,
                    provisioned.tenants,
                    rounds=args.http_rounds,
                    requests=args.http_requests,
                    warmup=args.http_warmup,
                    concurrency=args.http_concurrency,
                    pool_size=args.pool_size,
                    max_overflow=args.max_overflow,
                    client=args.http_client,
                    what_if=args.what_if,
                )
            )
            rows += routing.rows()
            rows += asyncio.run(
                run_hot_path(
                    database_url,
                    provisioned.tenants,
                    rounds=args.http_rounds,
                    requests=args.http_requests,
                    warmup=args.http_warmup,
                    concurrency=args.hot_path_concurrency,
                    pool_size=args.pool_size,
                )
            )
        rows += provisioned.rows()
        if fleet is not None:
            rows += fleet.rows()
    elapsed = time.perf_counter() - started
    print(
        f"commerce bench: {args.tenants} tenants, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"HTTP {args.http_rounds} rounds x {args.http_requests} requests, {args.http_client} client, "
        f"concurrency {args.http_concurrency}, "
        f"pool {args.pool_size}+{args.max_overflow}; total {elapsed:.0f} s; "
        f"load average {load_before} at start, {load_average()} at end\n"
    )
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
