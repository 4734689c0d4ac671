"""Where the routing overhead goes: CPU per request of ``GET /admin/v1/shop``, in-process, one variant at a time.

    uv run python -m bench.explain_routing --tenants 1000

No HTTP and no concurrency: each request is one direct ASGI call, so the figure is the app's own CPU
time (the process's, PostgreSQL excluded) per request, and the variants differ by one thing each:

1. ``baseline``: ``bench.baseline_app`` (search_path fixed per connection);
2. ``+ set_config per transaction``: the same with the product's ``core.db.ScopedSession`` routing;
3. ``product, 1 tenant``: ``api.app.create_app``, every request for the baseline's tenant;
4. ``product, N tenants``: requests spread uniformly over the fleet (resolver cache TTL as configured, 5 s);
5. ``product, N tenants, cache TTL 600 s``: the same with ``tenancy.cache_ttl_seconds=600``.

Each runs in two worker processes: as shipped, and with ``api.deps.get_state`` / ``get_tenant`` made
``async def`` (patched in memory before the app is imported, no file changes). FastAPI runs a plain
``def`` dependency in its thread pool, so that comparison prices the two thread hops per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

from bench.common import REPO_ROOT, bench_database, child_environment, log, median, server_url
from bench.what_if import LONG_CACHE_TTL_SECONDS, make_dependencies_async
from tenants.context import TenantContext

Headers = list[tuple[bytes, bytes]]

VARIANTS = (
    "baseline",
    "+ set_config per transaction",
    "product, 1 tenant",
    "product, N tenants",
    "product, N tenants, cache TTL 600 s",
)


async def _call(app: ASGIApp, headers: Headers) -> None:
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/admin/v1/shop", "raw_path": b"/admin/v1/shop", "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"GET /admin/v1/shop answered {status}")


async def _worker(args: argparse.Namespace, fleet: list[dict[str, str]]) -> dict[str, float]:
    if args.worker == "async-deps":
        make_dependencies_async()
    from api.app import create_app
    from bench.baseline_app import create_baseline_app
    from bench.common import bench_settings
    from core.settings import TenancySettings
    from tenants.models import TenantStatus

    settings = bench_settings(args.database_url, pool_size=10, max_overflow=0)
    first = fleet[0]
    context = TenantContext(
        id=uuid.UUID(first["id"]),
        slug=first["slug"],
        schema_name=first["schema"],
        status=TenantStatus.ACTIVE,
    )
    long_ttl = settings.model_copy(update={"tenancy": TenancySettings(cache_ttl_seconds=LONG_CACHE_TTL_SECONDS)})
    apps: dict[str, ASGIApp] = {
        "baseline": create_baseline_app(settings, context),
        "+ set_config per transaction": create_baseline_app(settings, context, route_each_transaction=True),
        "product": create_app(settings, listen_for_tenant_changes=False),
        "product TTL 600": create_app(long_ttl, listen_for_tenant_changes=False),
    }
    everyone: list[Headers] = [
        [(b"host", b"127.0.0.1:8000"), (b"x-tenant", t["slug"].encode()), (b"authorization", f"Bearer {t['token']}".encode())]
        for t in fleet
    ]  # fmt: skip
    rng = random.Random(7)
    plan: list[tuple[str, str, bool]] = [
        ("baseline", "baseline", False),
        ("+ set_config per transaction", "+ set_config per transaction", False),
        ("product, 1 tenant", "product", False),
        ("product, N tenants", "product", True),
        ("product, N tenants, cache TTL 600 s", "product TTL 600", True),
    ]
    # Warm every app (and, for TTL 600, fill its cache with the whole fleet).
    for _, app_name, spread in plan:
        for headers in everyone if spread else everyone[:1] * 200:
            await _call(apps[app_name], headers)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in plan}
    for _ in range(args.rounds):
        for name, app_name, spread in plan:
            batch = [rng.choice(everyone) for _ in range(args.requests)] if spread else everyone[:1] * args.requests
            started = time.process_time()
            for headers in batch:
                await _call(apps[app_name], headers)
            samples[name].append((time.process_time() - started) / len(batch) * 1000)
    return {name: median(values) for name, values in samples.items()}


async def _prepare(database_url: str, tenants: int) -> list[dict[str, str]]:
    """The fleet, and a staff token per tenant issued like the product's (same settings, same token store)."""
    from sqlalchemy import select

    from auth.grants import service as grants
    from auth.grants.models import Holder
    from auth.runtime import AuthRuntime
    from auth.staff.models import StaffMember
    from bench.common import bench_settings
    from bench.provisioning import provision_fleet
    from core.db import Database

    result = await provision_fleet(database_url, bulk=tenants - 2, samples=1)
    settings = bench_settings(database_url)
    auth = AuthRuntime.build(settings)
    database = Database(settings.db)
    fleet: list[dict[str, str]] = []
    try:
        for created in result.tenants:
            tenant = created.tenant
            async with database.scoped_session(tenant.schema_name, tenant_id=tenant.id) as db:
                owner = (await db.scalars(select(StaffMember.id))).one()
                holder = grants.TokenHolder(Holder.STAFF, staff_id=owner)
                token = await grants.issue(
                    db, auth.hasher, tenant.id, holder, scope="", access_ttl_seconds=86_400, refresh_ttl_seconds=None
                )
                await db.commit()
            fleet.append(
                {"id": str(tenant.id), "slug": tenant.slug, "schema": tenant.schema_name, "token": token.access_token}
            )
    finally:
        await database.dispose()
    return fleet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=1000, help="Requests per variant per round.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="Server for the bench database (as bench/run_all.py).")
    parser.add_argument("--worker", choices=("as-shipped", "async-deps"), help=argparse.SUPPRESS)
    parser.add_argument("--fleet", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        fleet = json.loads(Path(args.fleet).read_text())
        print(json.dumps(asyncio.run(_worker(args, fleet))))
        return 0
    results: dict[str, dict[str, float]] = {}
    with bench_database(server_url(args.database_url)) as database_url:
        log(f"provisioning {args.tenants} tenants")
        fleet = asyncio.run(_prepare(database_url, args.tenants))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(fleet, handle)
            fleet_file = Path(handle.name)
        try:
            for mode in ("as-shipped", "async-deps"):
                log(f"worker: {mode}")
                command = [
                    sys.executable, "-m", "bench.explain_routing", "--worker", mode, "--fleet", str(fleet_file),
                    "--database-url", database_url, "--requests", str(args.requests), "--rounds", str(args.rounds),
                ]  # fmt: skip
                completed = subprocess.run(
                    command, cwd=REPO_ROOT, env=child_environment(), capture_output=True, text=True, check=False
                )
                if completed.returncode != 0:
                    raise RuntimeError(f"the {mode} worker failed:\n{completed.stderr[-3000:]}")
                results[mode] = json.loads(completed.stdout.strip().splitlines()[-1])
        finally:
            fleet_file.unlink(missing_ok=True)
    shipped_base, patched_base = results["as-shipped"]["baseline"], results["async-deps"]["baseline"]
    print(f"CPU ms per request, in-process, {args.tenants} tenants, median of {args.rounds} rounds x {args.requests}")
    print("(each worker process is compared with its own baseline)\n")
    print("| variant | as shipped | vs baseline | get_state/get_tenant async | vs baseline |")
    print("|---|---|---|---|---|")
    for name in VARIANTS:
        shipped, patched = results["as-shipped"][name], results["async-deps"][name]
        print(
            f"| {name} | {shipped:.2f} | {shipped / shipped_base - 1:+.0%} "
            f"| {patched:.2f} | {patched / patched_base - 1:+.0%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
