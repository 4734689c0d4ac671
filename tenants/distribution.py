"""Tenant schemas on Citus: where each one lives, and distributing those that are not yet distributed.

New tenant schemas are distributed when they are created (``tenants.ddl.DISTRIBUTE_NEW_SCHEMAS``).
Schemas created before the database became a Citus coordinator (a fleet moving from one PostgreSQL to
Citus, docs/scaling.md) are ordinary schemas on the coordinator until ``citus_schema_distribute``
turns each into a distributed schema and moves it whole to a worker: ``commerce tenants distribute``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, text

from tenants.errors import CitusNotInstalled
from tenants.fleet import error_line
from tenants.models import Tenant


@dataclass(frozen=True, slots=True)
class Placement:
    slug: str
    schema_name: str
    distributed: bool
    node: str | None  # "host:port" of the node holding the schema's tables (None: not distributed, or no table)


@dataclass(frozen=True, slots=True)
class Distributed:
    placement: Placement
    seconds: float
    error: str | None = None


_NODES = (
    "SELECT s.schema_name::text, min(sh.nodename || ':' || sh.nodeport) FROM citus_schemas s"
    " LEFT JOIN citus_shards sh ON sh.colocation_id = s.colocation_id"
)


def citus_installed(connection: Connection) -> bool:
    return bool(connection.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'")).scalar())


def placements(engine: Engine) -> list[Placement]:
    """Every tenant with a schema, and where its schema lives."""
    with engine.connect() as connection:
        if not citus_installed(connection):
            raise CitusNotInstalled()
        tenants = connection.execute(
            select(Tenant.slug, Tenant.schema_name).where(Tenant.has_schema()).order_by(Tenant.created_at, Tenant.id)
        ).all()
        nodes: dict[str, str | None] = dict(connection.execute(text(_NODES + " GROUP BY 1")).tuples().all())
    return [Placement(slug, schema, schema in nodes, nodes.get(schema)) for slug, schema in tenants]


def distribute(
    engine: Engine, pending: list[Placement], on_each: Callable[[Distributed], None] | None = None
) -> list[Distributed]:
    """``citus_schema_distribute`` each schema of ``pending``, one transaction each; failures are reported, not raised.

    The schema's tables are locked while they are copied to their worker: do it in a quiet hour.
    """
    results: list[Distributed] = []
    for placement in pending:
        started = time.perf_counter()
        try:
            with engine.begin() as connection:
                connection.execute(text("SELECT citus_schema_distribute(:s)"), {"s": placement.schema_name})
                node = connection.execute(
                    text(_NODES + " WHERE s.schema_name::text = :s GROUP BY 1"), {"s": placement.schema_name}
                ).one()[1]
            moved = Placement(placement.slug, placement.schema_name, True, node)
            result = Distributed(moved, time.perf_counter() - started)
        except Exception as exc:
            error = error_line(exc)
            result = Distributed(placement, time.perf_counter() - started, error=error)
        results.append(result)
        if on_each is not None:
            on_each(result)
    return results
