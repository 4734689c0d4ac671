"""The PgBouncer tier: the app and the test's own sessions reach PostgreSQL through one PgBouncer in transaction
mode with a pool of one server connection. Runs alone, when TEST_PGBOUNCER=1 (`.ci/run` does):

    TEST_PGBOUNCER=1 TEST_DATABASE_URL=... uv run pytest tests/pgbouncer
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from core.settings import Settings
from tests.fixtures.pgbouncer import running_pgbouncer

if not os.environ.get("TEST_PGBOUNCER"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def pgbouncer_url(database_url: str) -> Iterator[str]:
    with running_pgbouncer(database_url, pool_size=1) as url:
        yield url


@pytest.fixture(scope="session")
def settings(settings: Settings, pgbouncer_url: str) -> Settings:
    """The suite's settings, with every connection through PgBouncer. Debian 12's PgBouncer is 1.18, which has no
    protocol-level prepared statements: psycopg's automatic preparation is off, as docs/configuration.md says."""
    db = settings.db.model_copy(update={"url": pgbouncer_url, "prepare_threshold": None})
    return settings.model_copy(update={"db": db})
