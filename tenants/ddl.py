"""Tenant schemas: their names, their creation and removal, and the SQL that migrates them.

Every tenant schema is built by the ``tenant`` Alembic environment and nothing else. The migrations
are rendered to SQL once per process and revision range (Alembic's offline mode), cut into statements,
then applied to each schema statement by statement in one pipelined round trip inside a transaction
routed to it (``core.sqlscript``: never one multi-statement string, which Citus cannot forward). Provisioning therefore yields
exactly the migrated schema (it *is* the migrations' output), and the fleet runner pays Alembic's
per-run overhead once per plan instead of once per tenant.

Tenant migrations must therefore be renderable offline: DDL and SQL through ``op``, no reads.
"""

from __future__ import annotations

import io
import threading
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from core.db import quote_schema, validate_schema_name
from core.sqlscript import split_statements

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
TENANT_SCRIPTS = MIGRATIONS_DIR / "tenant"
PUBLIC_SCRIPTS = MIGRATIONS_DIR / "public"


def schema_name_for(tenant_id: uuid.UUID) -> str:
    """Server-generated and opaque: ``pg_namespace`` is readable by every role, so it must reveal nothing."""
    return validate_schema_name(f"t_{tenant_id.hex}")


def alembic_config(script_location: Path, **attributes: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes.update(attributes)
    return config


@dataclass(frozen=True)
class TenantMigrations:
    """The ``tenant`` Alembic scripts, and their upgrade SQL rendered once per revision range."""

    script_location: Path = TENANT_SCRIPTS

    @cached_property
    def scripts(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(alembic_config(self.script_location))

    @cached_property
    def head(self) -> str:
        head = self.scripts.get_current_head()
        if head is None:
            raise RuntimeError(f"no tenant migrations in {self.script_location}")
        return head

    def resolve(self, revision: str) -> str:
        """A full revision id for ``head`` or a (partial) id."""
        try:
            script = self.scripts.get_revision(revision)
        except CommandError as exc:
            raise ValueError(f"unknown tenant revision {revision!r}") from exc
        if script is None:
            raise ValueError(f"unknown tenant revision {revision!r}")
        return script.revision

    def is_upgrade(self, from_revision: str | None, to_revision: str) -> bool:
        """Whether ``to_revision`` lies strictly after ``from_revision`` (None: an empty schema) in the history."""
        if from_revision == to_revision:
            return False
        if from_revision is None:
            return True
        return from_revision in {script.revision for script in self.scripts.walk_revisions("base", to_revision)}

    def upgrade_sql(self, from_revision: str | None, to_revision: str) -> str:
        return _render_upgrade(self.script_location, from_revision, to_revision)

    def upgrade_statements(self, from_revision: str | None, to_revision: str) -> tuple[str, ...]:
        """The rendered upgrade as separate statements (cut once per range), for ``core.sqlscript.run_statements``."""
        key = (self.script_location, from_revision, to_revision)
        statements = _statements.get(key)
        if statements is None:
            statements = _statements[key] = split_statements(self.upgrade_sql(from_revision, to_revision))
        return statements


_rendered: dict[tuple[Path, str | None, str], str] = {}
_statements: dict[tuple[Path, str | None, str], tuple[str, ...]] = {}
# Alembic's ``context`` and ``op`` are process-global proxies: render one range at a time.
_render_lock = threading.Lock()


def _render_upgrade(script_location: Path, from_revision: str | None, to_revision: str) -> str:
    key = (script_location, from_revision, to_revision)
    with _render_lock:
        if key in _rendered:
            return _rendered[key]
        buffer = io.StringIO()
        config = alembic_config(script_location)
        config.output_buffer = buffer
        span = f"{from_revision}:{to_revision}" if from_revision else to_revision
        command.upgrade(config, span, sql=True)
        _rendered[key] = buffer.getvalue()
    return _rendered[key]


# On Citus, a schema created while this is on becomes a distributed schema, placed whole on one worker
# (docs/scaling.md). Set for the building transaction itself, so that a cluster whose default is off still
# distributes tenant schemas; on plain PostgreSQL it is an inert placeholder setting that ends with the
# transaction.
DISTRIBUTE_NEW_SCHEMAS = "SELECT set_config('citus.enable_schema_based_sharding', 'on', true)"


def create_schema_statements(schema: str) -> tuple[str, ...]:
    """The statements that create a tenant's empty schema (a distributed one on Citus)."""
    return (DISTRIBUTE_NEW_SCHEMAS, f"CREATE SCHEMA {quote_schema(schema)}")


def drop_schema_sql(schema: str) -> str:
    return f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE"
