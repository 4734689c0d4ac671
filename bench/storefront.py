"""Storefront catalog reads over real HTTP across many tenants, next to a raw baseline; and the bulk import rate.

    uv run python -m bench.storefront                       # 20 tenants x 50 products, 10,000-product import
    uv run python -m bench.storefront --tenants 5 --import-products 2000 --rounds 2   # a quick run

1. Import rate: one tenant imports a JSON Lines file of ``--import-products`` products (two variants with
   two prices each) through the import service, as the ``catalog.run_import`` job runs it (upload, mark
   running, execute: three transactions). Reported in products per second.
2. ``--tenants`` tenants each get ``--products`` active products (three variants, EUR and USD prices, an
   option, an image) through the same import path, and a publishable key.
3. Two servers on 127.0.0.1, each in its own uvicorn process with the same pool: the product
   (``api.app.create_app``) and ``bench.storefront_raw`` (Starlette + psycopg, hand-written SQL, same JSON;
   the run checks that both answer the same JSON). For ``GET /storefront/v1/products?limit=50&currency=EUR``
   and ``GET /storefront/v1/products/{handle}?currency=EUR``, each request is for a tenant drawn at random,
   with that tenant's publishable key; rounds are interleaved and each figure is the median of rounds.
   Reported: throughput, p50, p99, and the product's throughput as a share of the baseline's (target 40%).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from dataclasses import dataclass, field

import httpx

from api.state import AppState
from auth.publishable_keys import service as publishable_keys_service
from auth.publishable_keys.schemas import PublishableKeyCreate
from bench.common import (
    Row,
    bench_database,
    bench_settings,
    format_table,
    load_average,
    log,
    median,
    ms,
    server_url,
    verdict,
)
from bench.loadgen import LOOPBACK, Headers, LoadClient, LoadResult, load_client
from bench.routing import Server, start_server
from commerce.catalog import imports
from commerce.catalog.models import ImportFormat
from commerce.provisioning import provision_tenant
from tenants.context import TenantContext, tenant_session
from tenants.schemas import TenantCreate

SECTION_IMPORT = "catalog import"
SECTION_HTTP = "storefront reads"
RATIO_TARGET = 0.40
IMPORT_TARGET_SECONDS = 60.0


def product_line(index: int, *, variants: int, prefix: str) -> str:
    sizes = ["S", "M", "L", "XL"][:variants]
    return json.dumps(
        {
            "handle": f"bench-{index:05d}",
            "title": f"Bench product {index} cotton shirt",
            "description": "A product of the storefront benchmark, with a description of ordinary length.",
            "status": "active",
            "vendor": "Bench Co",
            "product_type": "Shirt",
            "tags": ["bench", "cotton"],
            "options": [{"name": "Size", "values": sizes}],
            "variants": [
                {
                    "sku": f"{prefix}-{index:05d}-{size}",
                    "option_values": [size],
                    "prices": [{"amount": 1999, "currency": "EUR"}, {"amount": 2199, "currency": "USD"}],
                }
                for size in sizes
            ],
            "media": [{"url": f"https://cdn.example.com/bench/{index}.jpg", "alt_text": "front"}],
        }
    )


def jsonl(count: int, *, variants: int, prefix: str) -> bytes:
    return ("\n".join(product_line(i, variants=variants, prefix=prefix) for i in range(1, count + 1)) + "\n").encode()


async def import_file(state: AppState, tenant: TenantContext, content: bytes) -> tuple[float, int]:
    """Run an import as the job does (upload, start, execute); returns (seconds, products created)."""
    started = time.perf_counter()
    async with tenant_session(state.database, tenant) as db:
        created, _ = await imports.create_import(
            db, content, file_format=ImportFormat.JSONL, idempotency_key=None, actor=None
        )
        await db.commit()
    async with tenant_session(state.database, tenant) as db:
        await imports.start_import(db, created.id)
        await db.commit()
    async with tenant_session(state.database, tenant) as db:
        result = await imports.execute_import(db, created.id)
        await db.commit()
    if result.failed_count:
        raise RuntimeError(f"the bench import failed rows: {result.errors[:3]}")
    return time.perf_counter() - started, result.created_count


@dataclass
class Shop:
    slug: str
    key: str


@dataclass
class Setup:
    shops: list[Shop] = field(default_factory=list)
    import_seconds: float = 0.0
    import_products: int = 0


async def set_up(database_url: str, *, tenants: int, products: int, import_products: int) -> Setup:
    state = AppState.build(bench_settings(database_url, pool_size=4, max_overflow=2))
    setup = Setup()
    try:
        big = await provision_tenant(
            state.database,
            state.auth.passwords,
            state.migrations,
            TenantCreate(slug="bench-import", name="Import", owner_email="owner@bench-import.example.com"),
        )
        log(f"importing {import_products} products into one tenant")
        setup.import_seconds, setup.import_products = await import_file(
            state, TenantContext.of(big.tenant), jsonl(import_products, variants=2, prefix="IMP")
        )
        log(f"  {setup.import_products} products in {setup.import_seconds:.1f} s")
        log(f"provisioning {tenants} tenants with {products} products each")
        catalog = jsonl(products, variants=3, prefix="SKU")
        for index in range(tenants):
            slug = f"bench-shop-{index:04d}"
            created = await provision_tenant(
                state.database,
                state.auth.passwords,
                state.migrations,
                TenantCreate(slug=slug, name=f"Bench {index}", owner_email=f"owner@{slug}.example.com"),
            )
            tenant = TenantContext.of(created.tenant)
            await import_file(state, tenant, catalog)
            async with tenant_session(state.database, tenant) as db:
                _, key = await publishable_keys_service.create_key(
                    db, state.auth, tenant, PublishableKeyCreate(name="bench"), actor=None
                )
                await db.commit()
            setup.shops.append(Shop(slug, key))
    finally:
        await state.database.dispose()
        await state.auth.close()
        state.celery.close()
    return setup


def headers_of(shop: Shop) -> Headers:
    return {"x-tenant": shop.slug, "authorization": f"Bearer {shop.key}"}


async def same_json(product: Server, raw: Server, shop: Shop, paths: list[str]) -> None:
    """Both servers must answer the same JSON, or the comparison means nothing."""
    for path in paths:
        answers = []
        for server in (product, raw):
            async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{server.port}", trust_env=False) as http:
                response = await http.get(path, headers=headers_of(shop))
                response.raise_for_status()
                answers.append(response.json())
        if answers[0] != answers[1]:
            raise RuntimeError(f"the product and the raw baseline answer {path} differently")


@dataclass
class Variant:
    name: str
    path: str
    rounds: dict[str, list[LoadResult]] = field(default_factory=lambda: {"product": [], "raw": []})

    def rps(self, app: str) -> float:
        return median([r.rps for r in self.rounds[app]])

    def p50(self, app: str) -> float:
        return median([r.p50 for r in self.rounds[app]])

    def p99(self, app: str) -> float:
        return median([r.p99 for r in self.rounds[app]])


async def measure(
    setup: Setup, database_url: str, *, rounds: int, requests: int, warmup: int, concurrency: int, pool_size: int
) -> list[Variant]:
    rng = random.Random(20_261_206)
    variants = [
        Variant("list of 50 (with variants and prices)", "/storefront/v1/products?limit=50&currency=EUR"),
        Variant("detail by handle", "/storefront/v1/products/bench-00025?currency=EUR"),
    ]
    with contextlib.ExitStack() as stack:
        product = stack.enter_context(start_server("product", "tenant", database_url, pool_size, 0))
        raw = stack.enter_context(start_server("raw baseline", "storefront-raw", database_url, pool_size, 0))
        await same_json(product, raw, setup.shops[0], [variant.path for variant in variants])
        clients: dict[str, LoadClient] = {
            "product": load_client("raw", product.port, concurrency),
            "raw": load_client("raw", raw.port, concurrency),
        }
        try:
            for variant in variants:
                log(f"{variant.name}: warm-up {warmup} requests per app")
                for client in clients.values():
                    await client.get(
                        variant.path,
                        [headers_of(rng.choice(setup.shops)) for _ in range(warmup)],
                        concurrency=concurrency,
                    )
                for index in range(rounds):
                    order = list(clients.items()) if index % 2 == 0 else list(clients.items())[::-1]
                    for app, client in order:
                        headers = [headers_of(rng.choice(setup.shops)) for _ in range(requests)]
                        result = await client.get(variant.path, headers, concurrency=concurrency)
                        if result.errors:
                            raise RuntimeError(f"{app}: non-200 answers {result.errors}")
                        variant.rounds[app].append(result)
                        log(
                            f"  round {index + 1}/{rounds} {app}: {result.rps:.0f} req/s, p50 {ms(result.p50)}, p99 {ms(result.p99)}"
                        )
        finally:
            for client in clients.values():
                await client.aclose()
    return variants


def report(setup: Setup, variants: list[Variant], args: argparse.Namespace) -> list[Row]:
    rate = setup.import_products / setup.import_seconds
    rows = [
        Row(
            SECTION_IMPORT,
            f"{setup.import_products} products (2 variants, 2 prices each), upload to done",
            f"{setup.import_seconds:.1f} s ({rate:.0f} products/s)",
            f"well under {IMPORT_TARGET_SECONDS:.0f} s for 10,000",
            verdict(setup.import_seconds * 10_000 / setup.import_products < IMPORT_TARGET_SECONDS / 2),
        )
    ]
    for variant in variants:
        ratio = variant.rps("product") / variant.rps("raw")
        section = f"{SECTION_HTTP}: {variant.name}"
        rows += [
            Row(section, "raw baseline req/s, p50, p99",
                f"{variant.rps('raw'):.0f}, {ms(variant.p50('raw'))}, {ms(variant.p99('raw'))}"),
            Row(section, "product req/s, p50, p99",
                f"{variant.rps('product'):.0f}, {ms(variant.p50('product'))}, {ms(variant.p99('product'))}"),
            Row(section, "product / raw throughput", f"{ratio:.0%}", f">= {RATIO_TARGET:.0%}", verdict(ratio >= RATIO_TARGET)),
        ]  # fmt: skip
    rows.append(
        Row(
            "setup",
            "tenants, products each, rounds x requests, connections, pool",
            f"{len(setup.shops)}, {args.products}, {args.rounds} x {args.requests}, {args.concurrency}, {args.pool_size}",
        )
    )
    rows.append(Row("setup", "load average (1, 5, 15 min) at the end", load_average()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--products", type=int, default=50, help="Products per tenant (the list reads 50).")
    parser.add_argument("--import-products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=600, help="Requests per round and app.")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pool-size", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    with bench_database(server_url(args.database_url)) as database_url:
        setup = asyncio.run(
            set_up(database_url, tenants=args.tenants, products=args.products, import_products=args.import_products)
        )
        variants = asyncio.run(
            measure(
                setup,
                database_url,
                rounds=args.rounds,
                requests=args.requests,
                warmup=args.warmup,
                concurrency=args.concurrency,
                pool_size=args.pool_size,
            )
        )
    print(format_table(report(setup, variants, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
