"""`commerce tenants ...`: provision tenants and run their lifecycle."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import Passwords
from commerce.provisioning import provision_tenant
from core.db import create_sync_db_engine
from core.errors import Problem
from tenants import distribution
from tenants import service as tenants_service
from tenants.ddl import TenantMigrations
from tenants.models import Tenant, TenantStatus
from tenants.schemas import TenantCreate, TenantRead

if TYPE_CHECKING:
    pass

from cli.common import (
    database_publishing_jobs,
    err,
    load_settings,
    out,
    run,
    with_session,
)

tenants_app = typer.Typer(no_args_is_help=True, help="Provision and run the lifecycle of tenants.")


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
    settings = load_settings()
    try:
        body = TenantCreate(slug=slug, name=name, owner_email=owner_email, plan=plan)
    except ValueError as exc:
        err.print(f"[red]error[/red] invalid_input: {exc}")
        raise typer.Exit(2) from exc

    async def create() -> None:
        database = database_publishing_jobs(settings)
        try:
            created = await provision_tenant(
                database, Passwords(settings.auth), TenantMigrations(), body, billing_enabled=settings.stripe.enabled
            )
        finally:
            await database.dispose()
        _print_tenant(created.tenant)
        out.print(f"owner {created.owner_email} one-time password: [bold]{created.owner_password}[/bold]")

    run(create())


@tenants_app.command("list")
def tenants_list(
    status: Annotated[TenantStatus | None, typer.Option(help="Only tenants with this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 100,
    starting_after: Annotated[str | None, typer.Option(help="Id of the last tenant of the previous page.")] = None,
) -> None:
    """List tenants in creation order."""
    settings = load_settings()

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

    run(with_session(settings, list_page))


def _lifecycle(ref: str, action: Callable[[AsyncSession, uuid.UUID], Awaitable[Tenant]]) -> None:
    settings = load_settings()

    async def apply(db: AsyncSession) -> None:
        _print_tenant(await action(db, await _tenant_id(db, ref)))

    run(with_session(settings, apply))


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
    settings = load_settings()
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
