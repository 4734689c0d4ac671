"""Alembic environment of the shared ``public`` schema (run once per deployment, before the tenants)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from core.db import PUBLIC_SCHEMA
from migrations.models import include_public_only, public_metadata, run_online

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=public_metadata,
        version_table_schema=PUBLIC_SCHEMA,
        include_schemas=True,
        include_name=include_public_only,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        context.configure(
            dialect_name="postgresql",
            target_metadata=public_metadata,
            version_table_schema=PUBLIC_SCHEMA,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    run_online(config, _run)


run()
