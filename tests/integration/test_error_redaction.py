"""A database error quotes the values it refused (an email in a DETAIL line): logs and Sentry never carry them."""

from __future__ import annotations

import io
import json
import logging
import sys
from types import TracebackType

import pytest
from sentry_sdk.consts import DEFAULT_OPTIONS
from sentry_sdk.utils import event_from_exception
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import Database
from core.logging import ContextTextFormatter, JsonFormatter, RedactSecrets
from core.sentry import scrub
from tests.fixtures.tenants import TenantHandle

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


async def _database_error(database: Database, tenant: TenantHandle, statement: str, **params: str) -> ExcInfo:
    """A real error from PostgreSQL, through the product's engine (hide_parameters on), values bound."""
    try:
        async with database.scoped_session(tenant.schema_name) as db:
            await db.execute(text(statement), params)
    except DBAPIError:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None
        assert exc is not None
        assert tb is not None
        return exc_type, exc, tb
    raise AssertionError("the statement did not fail")


def _logged(exc_info: ExcInfo, formatter: logging.Formatter) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("request failed: %s", exc_info[1], exc_info=exc_info)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("formatter", [JsonFormatter(), ContextTextFormatter("%(message)s")], ids=["json", "text"])
async def test_a_unique_violation_logs_without_the_duplicate_value(
    database: Database, tenant_a: TenantHandle, formatter: logging.Formatter
) -> None:
    exc_info = await _database_error(
        database,
        tenant_a,
        "INSERT INTO staff_members (id, email, name, role, is_active, created_at, updated_at) "
        "SELECT gen_random_uuid(), email, name, role, is_active, now(), now() FROM staff_members WHERE email = :email",
        email=tenant_a.owner_email,
    )
    assert tenant_a.owner_email in str(exc_info[1])  # PostgreSQL's DETAIL quotes it

    logged = _logged(exc_info, formatter)

    assert "UniqueViolation" in logged
    assert tenant_a.owner_email not in logged
    assert "DETAIL:  [redacted]" in logged or "DETAIL:  [redacted]" in json.loads(logged).get("exception", "")


async def test_an_invalid_value_logs_without_the_value(database: Database, tenant_a: TenantHandle) -> None:
    exc_info = await _database_error(database, tenant_a, "SELECT CAST(:value AS uuid)", value="ada@example.com")
    assert "ada@example.com" in str(exc_info[1])

    logged = _logged(exc_info, JsonFormatter())

    assert "ada@example.com" not in logged
    assert "invalid input syntax for type uuid" in logged


async def test_a_sentry_event_of_a_database_error_carries_no_value(database: Database, tenant_a: TenantHandle) -> None:
    exc_info = await _database_error(database, tenant_a, "SELECT CAST(:value AS uuid)", value="ada@example.com")
    # As init_sentry configures the client: no frame locals (where bound values live).
    options = {**DEFAULT_OPTIONS, "include_local_variables": False}
    event, hint = event_from_exception(exc_info, client_options=options)
    event["breadcrumbs"] = {"values": [{"message": f"request failed: {exc_info[1]}"}]}

    scrubbed = scrub(dict(event), hint)

    assert scrubbed is not None
    assert "ada@example.com" not in json.dumps(scrubbed, default=str)
    assert "invalid input syntax for type uuid" in scrubbed["exception"]["values"][0]["value"]
