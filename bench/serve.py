"""One benchmark server process under uvicorn: the product app (``api.app.create_app``), the baseline, or
the product with the what-ifs of ``bench.what_if`` (async ``get_state``/``get_tenant``, cache TTL 600 s).

Started by ``bench.routing`` with a listening socket inherited as a file descriptor (so the port is
chosen by the kernel and never raced for). Logging stays at WARNING in both apps: the access-log line
``RequestContextMiddleware`` writes at INFO is then skipped identically by both.

Both apps get the same instrumentation, for the report's explanations: engine event counters (SQL
statements, registry lookups, new pool connections) served at ``GET /_bench/stats``, a route added
after every product route, so it changes no path matching.
"""

from __future__ import annotations

import argparse
import socket
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import bench_settings
from bench.what_if import LONG_CACHE_TTL_SECONDS, make_dependencies_async
from core.roundtrips import RoundTripCounter
from core.settings import StripeSettings, TenancySettings
from tenants.context import TenantContext
from tenants.models import TenantStatus


def build_app(args: argparse.Namespace) -> FastAPI:
    """The app to serve; the api package is imported only here, after the what-if patch if asked for."""
    settings = bench_settings(args.database_url, pool_size=args.pool_size, max_overflow=args.max_overflow)
    if args.stripe_api_base:  # the checkout bench: the real SDK against its Stripe fake
        stripe = StripeSettings(
            secret_key=SecretStr(args.stripe_secret_key), api_base=args.stripe_api_base, max_network_retries=0
        )
        settings = settings.model_copy(update={"stripe": stripe})
    if args.app == "what-if":
        make_dependencies_async()
        settings = settings.model_copy(update={"tenancy": TenancySettings(cache_ttl_seconds=LONG_CACHE_TTL_SECONDS)})
    from api.app import create_app
    from bench.baseline_app import create_baseline_app

    if args.app in ("tenant", "what-if"):
        return create_app(settings, listen_for_tenant_changes=False)
    tenant = TenantContext(
        id=uuid.UUID(args.tenant_id), slug=args.slug, schema_name=args.schema, status=TenantStatus.ACTIVE
    )
    return create_baseline_app(settings, tenant)


@dataclass(slots=True)
class Counters:
    statements: int = 0
    registry_lookups: int = 0  # statements reading public.tenants: the tenant resolver's cache misses
    connects: int = 0  # new DBAPI connections opened by the pool


def instrument(app: FastAPI, engine: AsyncEngine) -> None:
    counters = Counters()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count_statement(
        connection: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        counters.statements += 1
        if "public.tenants" in statement:
            counters.registry_lookups += 1

    @event.listens_for(engine.sync_engine, "connect")
    def count_connect(dbapi_connection: Any, record: Any) -> None:
        counters.connects += 1

    async def stats() -> dict[str, int]:
        return asdict(counters)

    app.add_api_route("/_bench/stats", stats, methods=["GET"], include_in_schema=False)

    # Exact round trips (libpq trace, core.roundtrips), only between start and stop: tracing costs CPU.
    tracing: list[RoundTripCounter] = []

    async def count_start() -> dict[str, int]:
        tracing.append(RoundTripCounter(engine))
        return {}

    async def count_stop() -> dict[str, int]:
        counter = tracing.pop()
        counter.detach()
        return {"round_trips": counter.round_trips, "statements": counter.statements, "connects": counter.connects}

    app.add_api_route("/_bench/count/start", count_start, methods=["POST"], include_in_schema=False)
    app.add_api_route("/_bench/count/stop", count_stop, methods=["POST"], include_in_schema=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=("tenant", "baseline", "what-if", "raw", "storefront-raw"), required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fd", type=int, required=True, help="An inherited socket bound to 127.0.0.1.")
    parser.add_argument("--pool-size", type=int, default=5)
    parser.add_argument("--max-overflow", type=int, default=5)
    parser.add_argument("--tenant-id", help="baseline: the tenant whose schema it serves")
    parser.add_argument("--slug", help="baseline: that tenant's slug")
    parser.add_argument("--schema", help="baseline: that tenant's schema")
    parser.add_argument("--stripe-api-base", help="tenant: Stripe's API base (the checkout bench's fake)")
    parser.add_argument("--stripe-secret-key", default="")
    args = parser.parse_args(argv)
    if args.app in ("raw", "storefront-raw"):
        from bench.raw_app import create_raw_app
        from bench.storefront_raw import create_storefront_raw_app

        create = create_raw_app if args.app == "raw" else create_storefront_raw_app
        raw = create(args.database_url.replace("postgresql+psycopg://", "postgresql://"), args.pool_size)
        config = uvicorn.Config(raw, log_level="warning", access_log=False, lifespan="on")
        uvicorn.Server(config).run(sockets=[socket.socket(fileno=args.fd)])
        return
    app = build_app(args)
    engine: AsyncEngine = app.state.bench_engine if args.app == "baseline" else app.state.commerce.database.engine
    instrument(app, engine)
    sock = socket.socket(fileno=args.fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
