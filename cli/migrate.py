"""`commerce migrate`: the shared schema, then every tenant schema behind the target, with progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.db import create_sync_db_engine
from core.settings import Settings
from tenants.fleet import FleetMigrator, FleetPlan, FleetReport, TenantOutcome, migrate_public, public_revisions

if TYPE_CHECKING:
    pass

from cli.common import (
    err,
    load_settings,
    out,
)

# --- migrations ------------------------------------------------------------------------------------


def migrate(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant (slug).")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, max=64, help="Tenants migrated at once.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    target: Annotated[str, typer.Option(help="Tenant revision to reach.")] = "head",
) -> None:
    """Migrate the public schema, then every tenant schema behind the target (in parallel, resumable)."""
    settings = load_settings()
    report = migrate_all(
        settings,
        concurrency=concurrency or settings.migrations.concurrency,
        slug=tenant,
        dry_run=dry_run,
        target=target,
    )
    if report is not None and report.failed:
        raise typer.Exit(1)


def migrate_all(
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
