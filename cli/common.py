"""What every command shares: settings (or a clear exit), the console, running a coroutine, database handles."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.embedded import embedded_database_url
from core.errors import Problem
from core.jobs import outbox_session_info
from core.logging import configure_logging
from core.settings import Settings, get_settings

if TYPE_CHECKING:
    pass


# The web stack, Celery and Sentry are imported inside the commands that use them: `commerce migrate`
# runs on every deploy and should not pay seconds of imports it never needs.

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def load_settings(*, console: bool = False, database: bool = True) -> Settings:
    """The settings, or exit 2 naming what is invalid. ``database=False``: a command that never touches the
    database (`dev-pay`) does not start the embedded PostgreSQL."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            err.print(f"[red]error[/red] invalid_settings: {error['msg']}")
        raise typer.Exit(2) from exc
    configure_logging(settings.log, console=console)
    if database and not settings.db.url:  # production refuses this in Settings itself
        settings.db.url = embedded_database_url(settings.data_dir)
    return settings


def refuse_development_key(settings: Settings, command: str) -> None:
    """`serve`, `worker`, `beat` and `flower` never run on the public development key, whatever the environment."""
    if settings.auth.uses_development_key:
        err.print(
            f"[red]error[/red] development_secret_key: `commerce {command}` refuses the built-in development "  # pragma: allowlist secret
            "COMMERCE_AUTH__SECRET_KEY (anyone can sign tokens with it); set a random value of at least 32 characters, "
            "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`. Only `commerce dev` runs on it."
        )
        raise typer.Exit(2)


def run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except Problem as problem:
        err.print(f"[red]error[/red] {problem.code}: {problem.detail or problem.title}")
        raise typer.Exit(1) from problem


def database_publishing_jobs(settings: Settings) -> Database:
    """A database whose sessions may queue jobs: they are kept in the outbox, which the relays of the API and
    worker processes deliver (this command runs none)."""
    if settings.celery.in_memory:
        err.print(
            "[yellow]note[/yellow] no broker configured (REDIS_URL): jobs this command queues, such as welcome "
            "mails, wait in the job outbox until `commerce dev` (or a worker with a broker) delivers them"
        )
    return Database(settings.db, session_info=outbox_session_info())


async def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(settings.db)
    try:
        async with database.public_session() as db:
            result = await work(db)
            await db.commit()
            return result
    finally:
        await database.dispose()
