"""The ``commerce`` command: serve, dev, worker, beat, flower, migrate, tenants, operators, mail.

Every command builds what it needs from ``Settings`` and exits non-zero on failure, with the
problem's code and detail on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import EmailStr, TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli_mail import mail_app
from auth.operators import repository as operators_repository
from auth.operators import service as operators_service
from auth.passwords import Passwords
from auth.runtime import AuthRuntime
from commerce.catalog import demo as demo_catalog
from commerce.provisioning import provision_tenant
from core.db import Database, create_sync_db_engine
from core.embedded import embedded_database_url
from core.errors import Problem
from core.jobs import outbox_session_info
from core.logging import configure_logging
from core.settings import Settings, get_settings
from tenants import distribution
from tenants import repository as tenants_repository
from tenants import service as tenants_service
from tenants.context import TenantContext, tenant_session
from tenants.ddl import TenantMigrations
from tenants.fleet import FleetMigrator, FleetPlan, FleetReport, TenantOutcome, migrate_public, public_revisions
from tenants.models import Tenant, TenantStatus
from tenants.schemas import TenantCreate, TenantRead

if TYPE_CHECKING:
    from celery import Celery

# The web stack, Celery and Sentry are imported inside the commands that use them: `commerce migrate`
# runs on every deploy and should not pay seconds of imports it never needs.

app = typer.Typer(no_args_is_help=True, help="Multi-tenant commerce API: serve it, migrate it, run its tenants.")
tenants_app = typer.Typer(no_args_is_help=True, help="Provision and run the lifecycle of tenants.")
operators_app = typer.Typer(no_args_is_help=True, help="Platform operators.")
app.add_typer(tenants_app, name="tenants")
app.add_typer(operators_app, name="operators")
app.add_typer(mail_app, name="mail")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def main() -> None:
    app()


def _settings(*, console: bool = False) -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            err.print(f"[red]error[/red] invalid_settings: {error['msg']}")
        raise typer.Exit(2) from exc
    configure_logging(settings.log, console=console)
    if not settings.db.url:  # production refuses this in Settings itself
        settings.db.url = embedded_database_url(settings.data_dir)
    return settings


def _refuse_development_key(settings: Settings, command: str) -> None:
    """`serve`, `worker`, `beat` and `flower` never run on the public development key, whatever the environment."""
    if settings.auth.uses_development_key:
        err.print(
            f"[red]error[/red] development_secret_key: `commerce {command}` refuses the built-in development "  # pragma: allowlist secret
            "COMMERCE_AUTH__SECRET_KEY (anyone can sign tokens with it); set a random value of at least 32 characters, "
            "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`. Only `commerce dev` runs on it."
        )
        raise typer.Exit(2)


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except Problem as problem:
        err.print(f"[red]error[/red] {problem.code}: {problem.detail or problem.title}")
        raise typer.Exit(1) from problem


def _database(settings: Settings) -> Database:
    """A database whose sessions may queue jobs: they are kept in the outbox, which the relays of the API and
    worker processes deliver (this command runs none)."""
    if settings.celery.in_memory:
        err.print(
            "[yellow]note[/yellow] no broker configured (REDIS_URL): jobs this command queues, such as welcome "
            "mails, wait in the job outbox until `commerce dev` (or a worker with a broker) delivers them"
        )
    return Database(settings.db, session_info=outbox_session_info())


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(settings.db)
    try:
        async with database.public_session() as db:
            result = await work(db)
            await db.commit()
            return result
    finally:
        await database.dispose()


# --- serving ---------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
) -> None:
    """Serve the API with uvicorn, one process (scale with replicas; run `commerce migrate` first)."""
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_options

    settings = _settings()
    _refuse_development_key(settings, "serve")
    in_memory = settings.celery.in_memory
    if in_memory:
        err.print(
            "[yellow]warning[/yellow] no broker configured (REDIS_URL): queued jobs wait in the job outbox, "
            "undelivered, until a process with a broker relays them"
        )
    application = create_app(settings, relay_jobs=not in_memory, metrics_host=host)
    uvicorn.run(application, host=host, port=port, **uvicorn_options(settings.http))


@app.command()
def dev(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    stop: Annotated[
        bool, typer.Option("--stop", help="Stop the embedded PostgreSQL under the data dir, and exit.")
    ] = False,
) -> None:
    """Development server: embedded PostgreSQL if no DATABASE_URL, migrations, demo operator and tenant.

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

    settings = _settings(console=True)
    print(f"database {make_url(settings.db.url).render_as_string(hide_password=True)}")
    _migrate_all(settings, concurrency=settings.migrations.concurrency)
    application = create_app(settings, metrics_host=host)
    state: AppState = application.state.commerce
    credentials = _run(_ensure_demo(settings, state.database))
    in_memory = settings.celery.in_memory
    with in_process_worker(state.celery, loglevel="WARNING") if in_memory else contextlib.nullcontext():
        broker = make_url(settings.celery.broker).render_as_string(hide_password=True) if not in_memory else ""
        where = "an in-process worker" if in_memory else f"workers on {broker}"
        print(f"jobs run on {where}; mail goes to {_mail_destination(settings)}")
        _print_quickstart(settings, credentials, host, port)
        uvicorn.run(application, host=host, port=port, **uvicorn_options(settings.http))


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


async def _ensure_demo(settings: Settings, database: Database) -> dict[str, str]:
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

    await _with_session(settings, ensure_operator)
    saved["operator_email"] = operator_email

    async def find_demo(db: AsyncSession) -> Tenant | None:
        return await tenants_repository.get_by_slug(db, "demo")

    if await _with_session(settings, find_demo) is None:
        created = await provision_tenant(
            database,
            passwords,
            TenantMigrations(),
            TenantCreate(slug="demo", name="Demo Shop", owner_email="owner@demo.example.com"),
            billing_enabled=settings.stripe.enabled,
        )
        saved.update(owner_email=created.owner_email, owner_password=created.owner_password)
    demo = await _with_session(settings, find_demo)
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


# --- workers ---------------------------------------------------------------------------------------


def _celery_with_broker(command: str) -> tuple[Settings, Celery]:
    settings = _settings()
    if settings.celery.in_memory:
        err.print(
            "[red]error[/red] no_broker: set REDIS_URL (or COMMERCE_CELERY__BROKER_URL); `commerce dev` runs its own worker"
        )
        raise typer.Exit(2)
    _refuse_development_key(settings, command)
    from workers.app import create_celery

    return settings, create_celery(settings)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Worker threads.")] = 4,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
) -> None:
    """Run a Celery worker on the configured broker (tenant-tagged jobs: mail, usage, ...).

    Threads, not processes: the jobs wait on the database, SMTP and Stripe, and one process keeps one
    metrics endpoint (COMMERCE_CELERY__METRICS_PORT) and small connection pools. Scale with replicas.
    """
    from sentry_sdk.integrations.celery import CeleryIntegration

    from core.metrics import serve_metrics
    from core.sentry import init_sentry
    from workers.app import dispatcher_of, metrics_of
    from workers.relay import OutboxRelay

    settings, celery = _celery_with_broker("worker")
    serve_metrics(settings.celery.metrics_port, metrics_of(celery).registry)
    init_sentry(settings, [CeleryIntegration()])
    # The worker relays the outbox too: jobs its tasks queue, and those of processes that run no relay (the CLI).
    relay = OutboxRelay(settings, dispatcher_of(celery), metrics_of(celery))
    relay.start()
    try:
        celery.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--loglevel={loglevel}",
                f"--queues={settings.celery.queue}",
            ]
        )
    finally:
        relay.stop()


@app.command()
def beat(loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO") -> None:
    """Run Celery beat: one entry per periodic job, each fanning out to active tenants. Run exactly one."""
    _, celery = _celery_with_broker("beat")
    celery.start(["beat", f"--loglevel={loglevel}"])


@app.command()
def flower(port: Annotated[int, typer.Option(help="Port to bind.")] = 5555) -> None:
    """Run Flower (task monitor) with basic auth from COMMERCE_CELERY__FLOWER_BASIC_AUTH ("user:password")."""
    settings, celery = _celery_with_broker("flower")
    basic_auth = settings.celery.flower_basic_auth.get_secret_value()
    if ":" not in basic_auth:
        err.print("[red]error[/red] no_flower_auth: set COMMERCE_CELERY__FLOWER_BASIC_AUTH to user:password")
        raise typer.Exit(2)
    celery.start(["flower", f"--port={port}", f"--basic-auth={basic_auth}"])


# --- migrations ------------------------------------------------------------------------------------


@app.command()
def migrate(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant (slug).")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, max=64, help="Tenants migrated at once.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    target: Annotated[str, typer.Option(help="Tenant revision to reach.")] = "head",
) -> None:
    """Migrate the public schema, then every tenant schema behind the target (in parallel, resumable)."""
    settings = _settings()
    report = _migrate_all(
        settings,
        concurrency=concurrency or settings.migrations.concurrency,
        slug=tenant,
        dry_run=dry_run,
        target=target,
    )
    if report is not None and report.failed:
        raise typer.Exit(1)


def _migrate_all(
    settings: Settings,
    *,
    concurrency: int,
    slug: str | None = None,
    dry_run: bool = False,
    target: str = "head",
) -> FleetReport | None:
    engine = create_sync_db_engine(settings.db, pool_size=concurrency + 1)
    try:
        current, head = public_revisions(engine)
        if dry_run and current != head:
            out.print(f"[bold]public[/bold] would migrate: {current} -> {head}")
            if current is None:
                return None  # no registry yet, so no tenants either
        elif not dry_run:
            migrate_public(engine)
            out.print(f"[bold]public[/bold] schema at head ({head})")
        migrator = FleetMigrator(engine, concurrency=concurrency, lock_timeout_ms=settings.migrations.lock_timeout_ms)
        try:
            plan = migrator.plan(target=target, slug=slug)
        except ValueError as exc:
            err.print(f"[red]error[/red] unknown_revision: {exc}")
            raise typer.Exit(2) from exc
        if slug is not None and not plan.pending and not plan.up_to_date:
            err.print(f"[red]error[/red] tenant_not_found: no tenant {slug!r} with a schema")
            raise typer.Exit(1)
        out.print(
            f"[bold]tenants[/bold] target {plan.target}: {plan.up_to_date} up to date, {len(plan.pending)} to migrate"
        )
        if dry_run:
            for pending in plan.pending:
                out.print(f"  would migrate {pending.slug}: {pending.revision} -> {plan.target}")
            planned = {p.id for p in plan.pending}
            roleless = [t for t in migrator.without_role(slug=slug) if t.id not in planned]
            if roleless:
                out.print(f"[bold]roles[/bold] would give {len(roleless)} tenant(s) their database role")
            return None
        report = _run_plan(migrator, plan) if plan.pending else FleetReport(plan.target, plan.up_to_date)
        # Migrated tenants got their role with their DDL; tenants already at head built before roles existed
        # (or whose migration failed) get theirs here. One query when there is nothing to do.
        roleless = migrator.without_role(slug=slug)
        if roleless:
            outcomes = migrator.ensure_roles(roleless)
            report.outcomes.extend(o for o in outcomes if not o.ok)
            given = sum(1 for o in outcomes if o.ok)
            out.print(f"[bold]roles[/bold] gave {given} tenant(s) their database role, failed {len(outcomes) - given}")
        if plan.pending or report.failed:
            _print_report(report)
        return report
    finally:
        engine.dispose()


def _run_plan(migrator: FleetMigrator, plan: FleetPlan) -> FleetReport:
    with Progress(
        TextColumn("migrating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=len(plan.pending))

        def advance(outcome: TenantOutcome) -> None:
            progress.update(task, advance=1, description="" if outcome.ok else f"[red]{outcome.tenant.slug} failed")

        return migrator.run(plan, on_outcome=advance)


def _print_report(report: FleetReport) -> None:
    skipped = len(report.outcomes) - len(report.migrated) - len(report.failed)
    out.print(
        f"migrated {len(report.migrated)}, failed {len(report.failed)}, up to date {report.up_to_date + skipped} "
        f"in {report.seconds:.2f}s"
    )
    if report.failed:
        table = Table("tenant", "from", "to", "error", title="failed tenants (re-run to retry)")
        for outcome in report.failed:
            table.add_row(outcome.tenant.slug, str(outcome.from_revision), outcome.to_revision, outcome.error or "")
        err.print(table)


# --- tenants ---------------------------------------------------------------------------------------


def _print_tenant(tenant: Tenant) -> None:
    out.print_json(TenantRead.model_validate(tenant).model_dump_json())


async def _tenant_id(db: AsyncSession, ref: str) -> uuid.UUID:
    """A tenant given by id or slug."""
    try:
        return uuid.UUID(ref)
    except ValueError:
        return (await tenants_service.get_by_slug(db, ref)).id


@tenants_app.command("create")
def tenants_create(
    slug: str,
    name: Annotated[str, typer.Option(help="Display name of the shop.")],
    owner_email: Annotated[str, typer.Option(help="Email of the owner account.")],
    plan: Annotated[str, typer.Option(help="Plan name.")] = "standard",
) -> None:
    """Provision a tenant and print its owner's one-time password."""
    settings = _settings()
    try:
        body = TenantCreate(slug=slug, name=name, owner_email=owner_email, plan=plan)
    except ValueError as exc:
        err.print(f"[red]error[/red] invalid_input: {exc}")
        raise typer.Exit(2) from exc

    async def create() -> None:
        database = _database(settings)
        try:
            created = await provision_tenant(
                database, Passwords(settings.auth), TenantMigrations(), body, billing_enabled=settings.stripe.enabled
            )
        finally:
            await database.dispose()
        _print_tenant(created.tenant)
        out.print(f"owner {created.owner_email} one-time password: [bold]{created.owner_password}[/bold]")

    _run(create())


@tenants_app.command("list")
def tenants_list(
    status: Annotated[TenantStatus | None, typer.Option(help="Only tenants with this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 100,
    starting_after: Annotated[str | None, typer.Option(help="Id of the last tenant of the previous page.")] = None,
) -> None:
    """List tenants in creation order."""
    settings = _settings()

    async def list_page(db: AsyncSession) -> None:
        rows, has_more = await tenants_service.list_tenants(
            db, limit=limit, starting_after=starting_after, status=status
        )
        table = Table("id", "slug", "name", "status", "revision", "created")
        for t in rows:
            table.add_row(str(t.id), t.slug, t.name, t.status.value, t.schema_revision or "-", t.created_at.isoformat())
        out.print(table)
        if has_more:
            out.print(f"more: --starting-after {rows[-1].id}")

    _run(_with_session(settings, list_page))


def _lifecycle(ref: str, action: Callable[[AsyncSession, uuid.UUID], Awaitable[Tenant]]) -> None:
    settings = _settings()

    async def apply(db: AsyncSession) -> None:
        _print_tenant(await action(db, await _tenant_id(db, ref)))

    _run(_with_session(settings, apply))


async def _show(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    return await tenants_service.get_tenant(db, tenant_id)


@tenants_app.command("show")
def tenants_show(tenant: Annotated[str, typer.Argument(help="Slug or id.")]) -> None:
    """Show one tenant."""
    _lifecycle(tenant, _show)


@tenants_app.command("suspend")
def tenants_suspend(tenant: Annotated[str, typer.Argument(help="Slug or id.")]) -> None:
    """Suspend an active tenant (its surfaces answer 403)."""
    _lifecycle(tenant, tenants_service.suspend)


@tenants_app.command("resume")
def tenants_resume(tenant: Annotated[str, typer.Argument(help="Slug or id.")]) -> None:
    """Resume a suspended tenant."""
    _lifecycle(tenant, tenants_service.resume)


@tenants_app.command("delete")
def tenants_delete(tenant: Annotated[str, typer.Argument(help="Slug or id.")]) -> None:
    """Soft-delete a tenant: unreachable at once, data kept until `purge`."""
    _lifecycle(tenant, tenants_service.soft_delete)


@tenants_app.command("purge")
def tenants_purge(
    tenant: Annotated[str, typer.Argument(help="Slug or id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop a soft-deleted tenant's schema and all its data. Irreversible."""
    if not yes:
        typer.confirm(f"Drop every table and row of tenant {tenant}?", abort=True)
    _lifecycle(tenant, tenants_service.purge)


@tenants_app.command("distribute")
def tenants_distribute(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List where each schema lives; change nothing.")] = False,
) -> None:
    """On Citus: make every tenant schema that is not distributed yet a distributed schema on a worker."""
    settings = _settings()
    engine = create_sync_db_engine(settings.db, pool_size=1)
    try:
        try:
            where = distribution.placements(engine)
        except Problem as problem:
            err.print(f"[red]error[/red] {problem.code}: {problem.detail or problem.title}")
            raise typer.Exit(1) from problem
        pending = [p for p in where if not p.distributed]
        out.print(f"[bold]tenants[/bold] {len(where) - len(pending)} distributed, {len(pending)} to distribute")
        if dry_run:
            for placement in where:
                out.print(f"  {placement.slug} {placement.schema_name} {placement.node or 'coordinator (local)'}")
            return

        def report(result: distribution.Distributed) -> None:
            target = result.error or f"on {result.placement.node} in {result.seconds:.2f}s"
            out.print(f"  {result.placement.slug} {result.placement.schema_name} {target}")

        results = distribution.distribute(engine, pending, on_each=report)
    finally:
        engine.dispose()
    failed = [r for r in results if r.error]
    out.print(f"distributed {len(results) - len(failed)}, failed {len(failed)}")
    if failed:
        raise typer.Exit(1)


# --- operators -------------------------------------------------------------------------------------


@operators_app.command("create")
def operators_create(
    email: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create a platform operator; the password comes from a prompt (or stdin)."""
    settings = _settings()
    try:
        email = TypeAdapter(EmailStr).validate_python(email)
    except ValidationError as exc:
        err.print(f"[red]error[/red] invalid_input: {email!r} is not an email address")
        raise typer.Exit(2) from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            err.print("[red]error[/red] the passwords differ")
            raise typer.Exit(2)

    async def create(db: AsyncSession) -> None:
        operator = await operators_service.create_operator(db, Passwords(settings.auth), email=email, password=password)
        out.print(f"operator {operator.email} created ({operator.id})")

    _run(_with_session(settings, create))
