"""`commerce operators ...`: platform operators."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.operators import service as operators_service
from auth.passwords import Passwords

if TYPE_CHECKING:
    pass

from cli.common import (
    err,
    load_settings,
    out,
    run,
    with_session,
)

operators_app = typer.Typer(no_args_is_help=True, help="Platform operators.")


# --- operators -------------------------------------------------------------------------------------


@operators_app.command("create")
def operators_create(
    email: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create a platform operator; the password comes from a prompt (or stdin)."""
    settings = load_settings()
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

    run(with_session(settings, create))
