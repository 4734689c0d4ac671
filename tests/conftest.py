"""Test infrastructure: a fresh database per run on TEST_DATABASE_URL's server, or on the embedded one.

Every test talks to real PostgreSQL. The public schema is migrated once per run; tenants are
provisioned per test through the real provisioning path, so tests never share tenant data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from api.app import create_app
from core.db import Database, create_sync_db_engine, sqlalchemy_url
from core.embedded import embedded_database_url
from core.jobs import outbox_session_info
from core.logging import capture_context
from core.settings import AuthSettings, CelerySettings, DatabaseSettings, Environment, MailSettings, Settings
from tenants.fleet import migrate_public
from tests.fixtures import databases
from tests.fixtures.http import asgi_client
from tests.fixtures.smtp import SmtpSink

pytest_plugins = [
    "tests.fixtures.auth",
    "tests.fixtures.tenants",
    "tests.fixtures.workers",
    "tests.fixtures.mail",
    "tests.fixtures.billing",
    "tests.fixtures.oauth",
    "tests.fixtures.staff",
    "tests.fixtures.catalog",
    "tests.fixtures.pricing",
    "tests.fixtures.live",
    "tests.fixtures.customers",
    "tests.fixtures.inventory",
    "tests.fixtures.browser",
    "tests.fixtures.faults",
    "tests.fixtures.checkout",
    "tests.fixtures.orders",
]

ROOT = Path(__file__).resolve().parent.parent
# Production-strength argon2 costs ~50 ms a hash; the suite hashes hundreds of passwords.
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 1024, "argon2_parallelism": 1}


def _server_url() -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return sqlalchemy_url(configured)
    return embedded_database_url(ROOT / ".data" / "test")


@pytest.fixture(scope="session", autouse=True)
def _log_records_capture_context() -> None:
    capture_context()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database created for this run (and dropped after it) on the configured or embedded server."""
    server = make_url(_server_url())
    name = f"commerce_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        databases.create_database(connection, server, name)
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_sync_db_engine(DatabaseSettings(url=url))
    migrate_public(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        databases.drop_database(connection, server, name)
    admin.dispose()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 for the whole run; every mail the suite sends lands here."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, smtp_server: SmtpSink, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Real services: PostgreSQL, SMTP, and a real broker: TEST_BROKER_URL when set (RabbitMQ in CI's worker
    contract run), else Redis when REDIS_URL is set, else memory://."""
    return Settings(
        environment=Environment.TEST,
        data_dir=str(tmp_path_factory.mktemp("data")),
        db=DatabaseSettings(url=database_url, pool_size=4, max_overflow=4),
        auth=AuthSettings(**FAST_ARGON2),
        celery=CelerySettings(
            broker_url=os.environ.get("TEST_BROKER_URL") or os.environ.get("REDIS_URL", ""),
            queue=f"commerce-test-{uuid.uuid4().hex[:8]}",  # runs sharing one Redis never see each other's jobs
            fan_out_batch_size=2,
            fan_out_batch_interval_seconds=0,
            fan_out_jitter_seconds=0,
            retry_backoff_max_seconds=1,
        ),
        mail=MailSettings(
            host="127.0.0.1", port=smtp_server.port, starttls=False, from_email="shops@commerce.example.com"
        ),
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A database handle for arranging and asserting outside the app; jobs it queues go to the outbox (the
    app fixture's relay delivers them)."""
    db = Database(settings.db, session_info=outbox_session_info())
    yield db
    await db.dispose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, listen_for_tenant_changes=False)
    # httpx's ASGI transport runs no lifespan: start what it would (the outbox relay that delivers the jobs).
    application.state.commerce.relay.start()
    yield application
    application.state.commerce.relay.stop()
    await application.state.commerce.database.dispose()
    await application.state.commerce.auth.close()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP through the ASGI app."""
    async with asgi_client(app) as http:
        yield http
