"""The cost of the per-tenant role (the second wall): tenant transactions with and without the role switch.

    uv run python -m bench.roles                        # 50 tenants, 6 rounds of 2,000 transactions per variant
    uv run python -m bench.roles --database-url postgresql://postgres@127.0.0.1:56432/postgres   # on Citus

Both variants are the product's own tenant session (``Database.scoped_session``), the one every tenant
request uses: its first statement routes the transaction, then the request's read runs (the shop
settings, by primary key, as ``GET /admin/v1/shop`` does), then it commits. The only difference:

* ``role``: the routing statement is ``SELECT set_config('search_path', ..., true), set_config('role',
  ..., true)`` and the read runs as the tenant's role (PostgreSQL checks its privileges);
* ``no role``: ``SELECT set_config('search_path', ..., true)`` and the read runs as the runtime role.

Same statement count and round trips in both (the role rides in the routing statement). Each round
draws tenants at random from the fleet and runs ``--concurrency`` transactions at a time over a pool of
that size; rounds alternate the variant order, and each figure is the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from sqlalchemy import select

from bench.common import Row, bench_database, bench_settings, format_table, load_average, log, median, server_url
from bench.provisioning import provision_fleet
from commerce.shop.models import ShopSettings
from core.db import Database

VARIANTS = ("no role", "role")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--database-url", help="Server to create the bench database on (default: local).")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--transactions", type=int, default=2000, help="Transactions per round and variant.")
    parser.add_argument("--concurrency", type=int, default=8)
    return parser.parse_args(argv)


async def _round(database: Database, schemas: list[str], *, role: bool, n: int, concurrency: int) -> float:
    """Seconds per transaction over ``n`` transactions, ``concurrency`` at a time."""
    draw = random.Random(n)
    queue = iter([draw.choice(schemas) for _ in range(n)])

    async def worker() -> None:
        for schema in queue:
            async with database.scoped_session(schema, tenant_role=role) as db:
                await db.scalar(select(ShopSettings.name).where(ShopSettings.id == 1))
                await db.commit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - started) / n


async def main_async(args: argparse.Namespace) -> None:
    with bench_database(server_url(args.database_url)) as url:
        fleet = await provision_fleet(url, bulk=args.tenants, samples=1)
        schemas = [created.tenant.schema_name for created in fleet.tenants]
        settings = bench_settings(url, pool_size=args.concurrency, max_overflow=0)
        database = Database(settings.db)
        results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        try:
            for variant in VARIANTS:  # warm-up: every tenant's statements parsed, the pool filled
                await _round(
                    database, schemas, role=variant == "role", n=len(schemas) * 2, concurrency=args.concurrency
                )
            for index in range(args.rounds):
                order = VARIANTS if index % 2 == 0 else tuple(reversed(VARIANTS))
                for variant in order:
                    seconds = await _round(
                        database, schemas, role=variant == "role", n=args.transactions, concurrency=args.concurrency
                    )
                    results[variant].append(seconds)
                    log(f"  round {index + 1} {variant}: {seconds * 1e6:.0f} µs per transaction")
        finally:
            await database.dispose()
    plain, walled = median(results["no role"]), median(results["role"])
    # Paired by round (the two variants of a round ran back to back): less exposed to a busy machine.
    ratios = sorted(r / p for r, p in zip(results["role"], results["no role"], strict=True))
    section = "per-tenant role: routed read transactions"
    rows = [
        Row(section, f"no role: µs per transaction (median of {args.rounds} rounds)", f"{plain * 1e6:.0f} µs"),
        Row(section, "role: µs per transaction", f"{walled * 1e6:.0f} µs"),
        Row(
            section,
            "role / no role, median of the rounds' ratios (min, max)",
            f"{median(ratios):.3f} ({ratios[0]:.3f}, {ratios[-1]:.3f})",
        ),
    ]
    print(f"{args.tenants} tenants, concurrency {args.concurrency}; load average {load_average()}")
    print(format_table(rows))


def main(argv: list[str] | None = None) -> None:
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
