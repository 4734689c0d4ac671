"""`commerce serve` and `commerce dev` (the development server: embedded PostgreSQL, demo data, quickstart)."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from auth.operators import repository as operators_repository
from auth.operators import service as operators_service
from auth.passwords import Passwords
from auth.runtime import AuthRuntime
from commerce.catalog import demo as demo_catalog
from commerce.provisioning import provision_tenant
from core.db import Database
from core.settings import Settings, get_settings
from tenants import repository as tenants_repository
from tenants.context import TenantContext, tenant_session
from tenants.ddl import TenantMigrations
from tenants.models import Tenant
from tenants.schemas import TenantCreate

if TYPE_CHECKING:
    pass

from cli.common import (
    err,
    load_settings,
    out,
    refuse_development_key,
    run,
    with_session,
)
from cli.migrate import migrate_all
from cli.stripe_fake import ensure_demo_payments, local_url, start_stripe_fake

# --- serving ---------------------------------------------------------------------------------------


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
) -> None:
    """Serve the API with uvicorn, one process (scale with replicas; run `commerce migrate` first)."""
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_options

    settings = load_settings()
    refuse_development_key(settings, "serve")
    in_memory = settings.celery.in_memory
    if in_memory:
        err.print(
            "[yellow]warning[/yellow] no broker configured (REDIS_URL): queued jobs wait in the job outbox, "
            "undelivered, until a process with a broker relays them"
        )
    application = create_app(settings, relay_jobs=not in_memory, metrics_host=host)
    uvicorn.run(application, host=host, port=port, **uvicorn_options(settings.http))


def dev(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    stop: Annotated[
        bool, typer.Option("--stop", help="Stop the embedded PostgreSQL under the data dir, and exit.")
    ] = False,
    stripe_fake: Annotated[
        bool | None,
        typer.Option(
            "--stripe-fake/--no-stripe-fake",
            help="Run a local Stripe fake for payments (default: when COMMERCE_STRIPE__SECRET_KEY is not set).",
        ),
    ] = None,
    stripe_fake_port: Annotated[int, typer.Option(help="Port of the Stripe fake (0: any free port).")] = 0,
) -> None:
    """Development server: embedded PostgreSQL if no DATABASE_URL, migrations, demo operator and tenant,
    and a local Stripe fake so a demo checkout needs no Stripe account.

    The embedded PostgreSQL keeps running after the server exits (the next start is instant); `--stop`
    (or `make stop`) stops it.
    """
    if stop:
        _stop_embedded_database()
        return
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_options
    from api.state import AppState
    from workers.local import in_process_worker

    settings = load_settings(console=True)
    print(f"database {make_url(settings.db.url).render_as_string(hide_password=True)}")
    fake = None
    if stripe_fake if stripe_fake is not None else not settings.stripe.enabled:
        fake, settings = start_stripe_fake(settings, server_url=local_url(host, port), port=stripe_fake_port)
    migrate_all(settings, concurrency=settings.migrations.concurrency)
    application = create_app(settings, metrics_host=host)
    state: AppState = application.state.commerce
    credentials = run(ensure_demo(settings, state.database))
    in_memory = settings.celery.in_memory
    try:
        if fake is not None:
            account = run(ensure_demo_payments(settings, fake))
            print(
                f"payments go to a local Stripe fake on {fake.url} (demo account {account}, charges enabled); "
                "pay a PaymentIntent with: commerce dev-pay <client_secret>"
            )
        with in_process_worker(state.celery, loglevel="WARNING") if in_memory else contextlib.nullcontext():
            broker = make_url(settings.celery.broker).render_as_string(hide_password=True) if not in_memory else ""
            where = "an in-process worker" if in_memory else f"workers on {broker}"
            print(f"jobs run on {where}; mail goes to {_mail_destination(settings)}")
            _print_quickstart(settings, credentials, host, port)
            uvicorn.run(application, host=host, port=port, **uvicorn_options(settings.http))
    finally:
        if fake is not None:
            fake.stop()


def _stop_embedded_database() -> None:
    from core.embedded import stop_embedded_server

    data_dir = get_settings().data_dir
    if stop_embedded_server(data_dir):
        out.print(f"stopped the embedded PostgreSQL under {data_dir}/postgres")
    else:
        out.print(f"no embedded PostgreSQL running under {data_dir}/postgres")


def _mail_destination(settings: Settings) -> str:
    if settings.mail.host:
        return f"smtp://{settings.mail.host}:{settings.mail.port}"
    return f"{Path(settings.data_dir) / 'outbox'} (commerce mail outbox)"


async def ensure_demo(settings: Settings, database: Database) -> dict[str, str]:
    """Idempotently create the demo operator and the demo tenant; their credentials live in the data dir.

    ``database`` publishes the jobs provisioning queues (the welcome mail); it is disposed on return, so
    the server's event loop opens its own connections.
    """
    try:
        return await _create_demo(settings, database)
    finally:
        await database.dispose()


async def _create_demo(settings: Settings, database: Database) -> dict[str, str]:
    path = Path(settings.data_dir) / "dev-credentials.json"
    saved: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    passwords = Passwords(settings.auth)
    operator_email = "operator@example.com"

    async def ensure_operator(db: AsyncSession) -> None:
        if await operators_repository.get_by_email(db, operator_email) is None:
            saved["operator_password"] = saved.get("operator_password") or uuid.uuid4().hex
            await operators_service.create_operator(
                db, passwords, email=operator_email, password=saved["operator_password"]
            )

    await with_session(settings, ensure_operator)
    saved["operator_email"] = operator_email

    async def find_demo(db: AsyncSession) -> Tenant | None:
        return await tenants_repository.get_by_slug(db, "demo")

    if await with_session(settings, find_demo) is None:
        created = await provision_tenant(
            database,
            passwords,
            TenantMigrations(),
            TenantCreate(slug="demo", name="Demo Shop", owner_email="owner@demo.example.com"),
            billing_enabled=settings.stripe.enabled,
        )
        saved.update(owner_email=created.owner_email, owner_password=created.owner_password)
    demo = await with_session(settings, find_demo)
    if demo is not None:
        async with tenant_session(database, TenantContext.of(demo)) as db:
            auth = AuthRuntime.build(settings)
            try:
                _, key = await demo_catalog.seed_storefront(
                    db, auth, TenantContext.of(demo), with_key="publishable_key" not in saved
                )
            finally:
                await auth.close()
            await db.commit()
        if key is not None:
            saved["publishable_key"] = key
    path.write_text(json.dumps(saved, indent=2))
    path.chmod(0o600)
    return saved


def _print_quickstart(settings: Settings, credentials: dict[str, str], host: str, port: int) -> None:
    """Ready-to-paste calls, printed unwrapped (a wrapped line no longer pastes) and kept as a script."""
    base = f"http://{host}:{port}"
    script = _quickstart_script(credentials, base, port)
    path = Path(settings.data_dir) / "quickstart.sh"
    path.write_text(
        "#!/usr/bin/env bash\n# Written by `commerce dev`: the quickstart calls, in order.\nset -eu\n" + script
    )
    path.chmod(0o700)  # it holds the demo credentials
    print(
        f"\nCommerce API is starting on {base}  (docs: {base}/docs, credentials: {settings.data_dir}/dev-credentials.json)"
    )
    print(f"Try these (also in {path}, run it with: bash {path}):\n")
    print(script)


def _quickstart_script(credentials: dict[str, str], base: str, port: int) -> str:
    def login(path: str, email: str | None, password: str | None, tenant: str = "") -> str:
        body = json.dumps({"email": email or "?", "password": password or "?"})
        return f"curl -s {base}{path}{tenant} -H 'content-type: application/json' -d '{body}' | {_JSON_ACCESS_FIELD}"

    demo = " -H 'x-tenant: demo'"
    storefront = json.dumps(
        {
            "name": "My storefront",
            "kind": "public",
            "redirect_uris": ["http://localhost:3000/callback"],
            "scopes": ["customer:profile", "storefront:catalog"],
        }
    )
    return f"""# operator token, then list tenants
OP=$({login("/platform/v1/auth/token", credentials["operator_email"], credentials.get("operator_password"))})
curl -s {base}/platform/v1/tenants -H "authorization: Bearer $OP"

# the demo shop's owner token (tenant chosen by X-Tenant, or use http://demo.localhost:{port})
TOKEN=$({login("/admin/v1/auth/token", credentials.get("owner_email"), credentials.get("owner_password"), demo)})
curl -s {base}/admin/v1/shop{demo} -H "authorization: Bearer $TOKEN"

# register a storefront (an OAuth client); its shoppers sign in at the shop's own OAuth server (docs/auth.md)
curl -s {base}/admin/v1/oauth-clients{demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{storefront}'
curl -s http://demo.localhost:{port}/.well-known/oauth-authorization-server

# the demo catalog as a storefront sees it, with the shop's publishable key (safe in a web page; docs/catalog.md)
curl -s '{base}/storefront/v1/products?limit=3&currency=EUR'{demo} -H 'authorization: Bearer {credentials.get("publishable_key", "?")}'
"""


# A shell snippet that reads the access token out of a JSON answer.
_JSON_ACCESS_FIELD = """python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'"""
