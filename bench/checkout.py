"""Checkout end to end over real HTTP: shoppers fill carts and pay through the Stripe fake, concurrently.

    uv run python -m bench.checkout                          # 16 shoppers, 400 checkouts (about a minute)
    uv run python -m bench.checkout --checkouts 100          # quick

One tenant with an onboarded Stripe account (at the fake: ``billing.stripe_fake``, in this process) and
``--products`` products in stock (one million units each, so stock never runs out); the product app in its
own uvicorn process (``bench.serve``, the real Stripe SDK pointed at the fake). ``--shoppers`` closed-loop
shoppers (httpx, keep-alive) each repeat, until ``--checkouts`` carts were paid:

    POST /carts (one line)  ->  POST /carts/{id}/lines  ->  PATCH /carts/{id}/lines/{line}  ->  PATCH /carts/{id}
    ->  POST /carts/{id}/checkout (stock and PaymentIntent)  ->  Stripe.js pays (the fake's hook)
    ->  POST /carts/{id}/checkout/confirm (the order)

Reported: paid orders per second end to end (cart created to order placed), the p50 and p99 of each cart
mutation endpoint and of checkout and confirm, and the stock left, which must equal what was sold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
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
    ms,
    percentile,
    server_url,
)
from bench.loadgen import LOOPBACK
from bench.routing import start_server
from bench.storefront import import_file
from billing.models import StripeAccount
from billing.stripe_fake import FakeStripe
from commerce.inventory import repository as inventory_repository
from commerce.inventory import service as inventory_service
from commerce.inventory.schemas import LevelAdjust, LocationCreate
from commerce.provisioning import provision_tenant
from tenants.context import TenantContext, tenant_session
from tenants.schemas import TenantCreate

SECRET_KEY = "sk_test_bench_" + "x" * 32  # pragma: allowlist secret - the fake's key, nothing real
STOCK = 1_000_000
MUTATIONS = ("create cart", "add line", "change quantity", "set email")


def product_lines(count: int) -> str:
    return "\n".join(
        json.dumps(
            {
                "handle": f"bench-{index:04d}",
                "title": f"Bench product {index}",
                "status": "active",
                "options": [{"name": "Size", "values": ["S", "M"]}],
                "variants": [
                    {
                        "sku": f"CHK-{index:04d}-{size}",
                        "option_values": [size],
                        "prices": [{"amount": 1999, "currency": "EUR"}],
                        "requires_shipping": False,
                    }
                    for size in ("S", "M")
                ],
            }
        )
        for index in range(count)
    )


@dataclass
class Setup:
    slug: str
    key: str
    variants: list[str]


async def set_up(database_url: str, fake: FakeStripe, *, products: int) -> Setup:
    state = AppState.build(bench_settings(database_url, pool_size=4, max_overflow=2))
    try:
        created = await provision_tenant(
            state.database,
            state.auth.passwords,
            state.migrations,
            TenantCreate(slug="bench-checkout", name="Checkout", owner_email="owner@bench-checkout.example.com"),
        )
        tenant = TenantContext.of(created.tenant)
        account_id = f"acct_bench{uuid.uuid4().hex[:12]}"
        fake.adopt_account(account_id)
        async with state.database.public_session() as db:
            db.add(
                StripeAccount(
                    tenant_id=tenant.id,
                    account_id=account_id,
                    charges_enabled=True,
                    payouts_enabled=True,
                    details_submitted=True,
                    capabilities={},
                    requirements_due=[],
                )
            )
            await db.commit()
        await import_file(state, tenant, product_lines(products).encode())
        async with tenant_session(state.database, tenant) as db:
            location = await inventory_service.create_location(db, LocationCreate(name="Bench"), actor=None)
            variants = [str(v) for v in await inventory_repository.tracked_variants_without_stock(db)]
            for variant in variants:
                await inventory_service.adjust(
                    db,
                    LevelAdjust(variant_id=uuid.UUID(variant), location_id=location.id, delta=STOCK, reason="received"),
                    actor=None,
                )
            _, key = await publishable_keys_service.create_key(
                db, state.auth, tenant, PublishableKeyCreate(name="bench"), actor=None
            )
            await db.commit()
        return Setup(tenant.slug, key, variants)
    finally:
        await state.database.dispose()
        await state.auth.close()
        state.celery.close()


@dataclass
class Measured:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    orders: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def timed(self, name: str, started: float) -> None:
        self.latencies.setdefault(name, []).append(time.perf_counter() - started)


async def _call(
    http: httpx.AsyncClient, measured: Measured, name: str, method: str, path: str, **kwargs: object
) -> httpx.Response:
    started = time.perf_counter()
    response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
    measured.timed(name, started)
    if response.status_code >= 300:
        measured.failures[f"{name} {response.status_code}"] = (
            measured.failures.get(f"{name} {response.status_code}", 0) + 1
        )
        raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
    return response


async def shopper(
    http: httpx.AsyncClient, setup: Setup, fake: FakeStripe, measured: Measured, todo: list[int], seed: int
) -> None:
    base = {"x-tenant": setup.slug, "authorization": f"Bearer {setup.key}"}
    index = seed
    while todo:
        todo.pop()
        index += 1
        first, second = setup.variants[index % len(setup.variants)], setup.variants[(index + 1) % len(setup.variants)]
        flow_started = time.perf_counter()
        cart = (
            await _call(
                http,
                measured,
                "create cart",
                "POST",
                "/storefront/v1/carts",
                headers=base,
                json={"currency": "EUR", "lines": [{"variant_id": first}]},
            )
        ).json()
        headers = {**base, "x-cart-secret": cart["secret"]}
        path = f"/storefront/v1/carts/{cart['id']}"
        added = (
            await _call(
                http, measured, "add line", "POST", f"{path}/lines", headers=headers, json={"variant_id": second}
            )
        ).json()
        line = added["lines"][0]["id"]
        await _call(
            http, measured, "change quantity", "PATCH", f"{path}/lines/{line}", headers=headers, json={"quantity": 2}
        )
        await _call(
            http, measured, "set email", "PATCH", path, headers=headers, json={"email": f"shopper{index}@example.com"}
        )
        checkout = (
            await _call(
                http,
                measured,
                "checkout",
                "POST",
                f"{path}/checkout",
                headers={**headers, "idempotency-key": str(uuid.uuid4())},
            )
        ).json()
        fake.pay(checkout["payment_intent"]["id"])  # Stripe.js
        confirmed = (await _call(http, measured, "confirm", "POST", f"{path}/checkout/confirm", headers=headers)).json()
        assert confirmed["order"] is not None
        measured.timed("cart to order", flow_started)
        measured.orders += 1  # fmt: skip


async def measure(
    setup: Setup, fake: FakeStripe, database_url: str, *, shoppers: int, checkouts: int, warmup: int, pool_size: int
) -> Measured:
    with start_server("product", "tenant", database_url, pool_size, 0,
                      "--stripe-api-base", fake.url, "--stripe-secret-key", SECRET_KEY) as server:  # fmt: skip
        limits = httpx.Limits(max_connections=shoppers, max_keepalive_connections=shoppers)
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{server.port}", trust_env=False, timeout=60,
                                     limits=limits) as http:  # fmt: skip
            log(f"warm-up: {warmup} checkouts")
            await asyncio.gather(*(shopper(http, setup, fake, Measured(), list(range(warmup // shoppers or 1)), i * 10_000)
                                   for i in range(shoppers)))  # fmt: skip
            measured = Measured()
            todo = list(range(checkouts))
            log(f"measuring: {checkouts} checkouts by {shoppers} shoppers")
            started = time.perf_counter()
            await asyncio.gather(*(shopper(http, setup, fake, measured, todo, 1_000_000 + i * 10_000)
                                   for i in range(shoppers)))  # fmt: skip
            measured.seconds = time.perf_counter() - started
    return measured


def report(measured: Measured, args: argparse.Namespace) -> list[Row]:
    rows = [
        Row("checkout end to end", f"paid orders per second at {args.shoppers} shoppers (cart created to order placed)",
            f"{measured.orders / measured.seconds:.1f} ({measured.orders} in {measured.seconds:.1f} s)"),
        Row("checkout end to end", "one shopper's flow, p50 / p99",
            f"{ms(percentile(measured.latencies['cart to order'], 0.5))} / {ms(percentile(measured.latencies['cart to order'], 0.99))}"),
    ]  # fmt: skip
    for name in (*MUTATIONS, "checkout", "confirm"):
        values = measured.latencies[name]
        section = "cart mutations" if name in MUTATIONS else "checkout"
        rows.append(
            Row(section, f"{name}: p50 / p99", f"{ms(percentile(values, 0.5))} / {ms(percentile(values, 0.99))}")
        )
    rows.append(Row("setup", "shoppers, checkouts, pool, load average at the end",
                    f"{args.shoppers}, {args.checkouts}, {args.pool_size}, {load_average()}"))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=16)
    parser.add_argument("--checkouts", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    fake = FakeStripe(api_key=SECRET_KEY)
    fake.start()
    try:
        with bench_database(server_url(args.database_url)) as database_url:
            setup = asyncio.run(set_up(database_url, fake, products=args.products))
            measured = asyncio.run(
                measure(setup, fake, database_url, shoppers=args.shoppers, checkouts=args.checkouts,
                        warmup=args.warmup, pool_size=args.pool_size)
            )  # fmt: skip
    finally:
        with contextlib.suppress(Exception):
            fake.stop()
    if measured.failures:
        log(f"failures: {measured.failures}")
    print(format_table(report(measured, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
