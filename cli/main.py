"""The ``commerce`` command: serve, dev, dev-pay, worker, beat, flower, migrate, tenants, operators, mail.

Every command builds what it needs from ``Settings`` and exits non-zero on failure, with the
problem's code and detail on stderr. One module per command group; this one only assembles them.
"""

from __future__ import annotations

import typer

from cli.jobs import beat, flower, worker
from cli.mail import mail_app
from cli.migrate import migrate
from cli.operators import operators_app
from cli.serving import dev, serve
from cli.stripe_fake import dev_pay
from cli.tenants import tenants_app

app = typer.Typer(no_args_is_help=True, help="Multi-tenant commerce API: serve it, migrate it, run its tenants.")
for command in (serve, dev, worker, beat, flower, migrate):
    app.command()(command)
app.command(name="dev-pay")(dev_pay)
app.add_typer(tenants_app, name="tenants")
app.add_typer(operators_app, name="operators")
app.add_typer(mail_app, name="mail")


def main() -> None:
    app()
