"""Alembic environment of the tenant schemas.

``commerce migrate`` renders these migrations to SQL in offline mode once per revision range and
applies the SQL to each tenant schema (see ``tenants/ddl.py``), so every migration here must be
renderable offline: DDL and SQL through ``op``, never reads of the database.

Online mode exists for developers: ``alembic -c alembic.ini -n tenant -x schema=t_scratch upgrade head``
or ``... revision --autogenerate`` against a scratch schema. Table names are unqualified: they resolve
through the transaction's ``search_path``, and the version table lives inside each tenant schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from core.db import quote_schema, set_transaction_search_path
from migrations.models import run_online, tenant_metadata

config = context.config


def _run(connection: Connection, schema: str) -> None:
    with connection.begin():
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quote_schema(schema)}"))
        set_transaction_search_path(connection, schema)
        context.configure(connection=connection, target_metadata=tenant_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        context.configure(
            dialect_name="postgresql",
            target_metadata=tenant_metadata,
            literal_binds=True,
            # The caller wraps the rendered SQL in its own transaction (one per tenant).
            transactional_ddl=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    schema = config.attributes.get("schema") or context.get_x_argument(as_dictionary=True).get("schema")
    if not schema:
        raise SystemExit("tenant migrations run online need a schema: -x schema=t_scratch")
    run_online(config, lambda connection: _run(connection, schema))


run()
