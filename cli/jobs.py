"""`commerce worker`, `commerce beat` and `commerce flower`: the background-job processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from core.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

from cli.common import (
    err,
    load_settings,
    refuse_development_key,
)

# --- workers ---------------------------------------------------------------------------------------


def _celery_with_broker(command: str) -> tuple[Settings, Celery]:
    settings = load_settings()
    if settings.celery.in_memory:
        err.print(
            "[red]error[/red] no_broker: set REDIS_URL (or COMMERCE_CELERY__BROKER_URL); `commerce dev` runs its own worker"
        )
        raise typer.Exit(2)
    refuse_development_key(settings, command)
    from workers.app import create_celery

    return settings, create_celery(settings)


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


def beat(loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO") -> None:
    """Run Celery beat: one entry per periodic job, each fanning out to active tenants. Run exactly one."""
    _, celery = _celery_with_broker("beat")
    celery.start(["beat", f"--loglevel={loglevel}"])


def flower(port: Annotated[int, typer.Option(help="Port to bind.")] = 5555) -> None:
    """Run Flower (task monitor) with basic auth from COMMERCE_CELERY__FLOWER_BASIC_AUTH ("user:password")."""
    settings, celery = _celery_with_broker("flower")
    basic_auth = settings.celery.flower_basic_auth.get_secret_value()
    if ":" not in basic_auth:
        err.print("[red]error[/red] no_flower_auth: set COMMERCE_CELERY__FLOWER_BASIC_AUTH to user:password")
        raise typer.Exit(2)
    celery.start(["flower", f"--port={port}", f"--basic-auth={basic_auth}"])
