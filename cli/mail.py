"""``commerce mail``: read the development outbox (``<data_dir>/outbox``, used while ``COMMERCE_MAIL__HOST`` is empty)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from core.settings import Settings, get_settings
from mail.outbox import OutboxEntry, describe, outbox_dir, outbox_files, read_message, text_of

mail_app = typer.Typer(no_args_is_help=True, help="Outgoing mail: the development outbox.")


@mail_app.command("outbox")
def show_outbox(
    show: Annotated[
        str | None,
        typer.Option(
            "--show", metavar="N|FILE", help="Print one message: its number in the list (1 = newest) or file."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="List at most this many messages.")] = 20,
) -> None:
    """List the messages in the outbox, newest first, or print one with --show."""
    # Consoles built per call: rich reads the terminal width (COLUMNS) when a console is created.
    out, err = Console(), Console(stderr=True)
    settings = _settings(err)
    directory = outbox_dir(settings)
    if settings.mail.host:
        err.print(f"mail goes to {settings.mail.host}: the outbox only holds mail written while no host was set")
    files = outbox_files(directory)
    if show is None:
        _print_list(out, directory, [describe(path) for path in files[:limit]])
        return
    path = _resolve(show, directory, files)
    if path is None:
        err.print(f"[red]error[/red] message_not_found: no message {show!r} in {directory}")
        raise typer.Exit(1)
    _print_message(path)


def _settings(err: Console) -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            err.print(f"[red]error[/red] invalid_settings: {error['msg']}")
        raise typer.Exit(2) from exc


def _print_list(out: Console, directory: Path, entries: list[OutboxEntry]) -> None:
    if not entries:
        out.print(f"no messages in {directory}")
        return
    table = Table(
        "#",
        Column("date (UTC)", no_wrap=True),
        Column("to", overflow="fold"),
        "subject",
        Column("file", overflow="fold"),  # folded, never cut short: it is what --show takes
        title=Text(str(directory)),
    )
    for number, entry in enumerate(entries, start=1):
        date = entry.date.strftime("%Y-%m-%d %H:%M:%S") if entry.date else "-"
        # Text, not str: a subject carries a shop name, which must not be read as rich markup.
        table.add_row(str(number), date, Text(entry.to), Text(entry.subject), entry.path.name)
    out.print(table)


def _resolve(ref: str, directory: Path, files: list[Path]) -> Path | None:
    """A number from the list, a file name in the outbox, or a path."""
    if ref.isdigit():
        index = int(ref) - 1
        return files[index] if 0 <= index < len(files) else None
    for candidate in (directory / ref, Path(ref)):
        if candidate.is_file():
            return candidate
    return None


def _print_message(path: Path) -> None:
    # Plain echo, not rich: the text part is printed as written, without markup or re-wrapping.
    message = read_message(path)
    for header in ("Date", "From", "To", "Reply-To", "Subject"):
        if message[header] is not None:
            typer.echo(f"{header}: {message[header]}")
    typer.echo(f"File: {path}\n")
    typer.echo(text_of(message))
