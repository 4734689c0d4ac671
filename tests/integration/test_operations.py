"""Health endpoints, structured logs, and cache invalidation announced by another process."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid

import httpx
import pytest
from sqlalchemy import text

from core.db import Database
from core.logging import JsonFormatter
from core.settings import Settings
from tenants.resolution import CHANGES_CHANNEL, listen_for_changes
from tests.fixtures.http import asgi_client
from tests.fixtures.tenants import TenantHandle


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    assert ready.json()["outbox"]["pending"] >= 0


async def test_every_response_carries_a_request_id_and_echoes_a_given_one(client: httpx.AsyncClient) -> None:
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32
    given = await client.get("/healthz", headers={"x-request-id": "req-123"})
    assert given.headers["x-request-id"] == "req-123"


async def test_access_log_is_json_with_request_id_and_tenant(
    client: httpx.AsyncClient, tenant_a: TenantHandle, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="api.access"):
        await client.get("/admin/v1/shop", headers={**tenant_a.headers, "x-request-id": "req-log-1"})
    [record] = [r for r in caplog.records if r.name == "api.access" and r.__dict__.get("path") == "/admin/v1/shop"]
    line = json.loads(JsonFormatter().format(record))
    assert line["tenant"] == tenant_a.slug
    assert line["status"] == 200
    assert line["message"] == "request"
    assert tenant_a.token not in json.dumps(line)


async def test_database_outage_is_reported_as_503_problems(settings: Settings) -> None:
    from api.app import create_app

    broken = settings.model_copy(
        update={"db": settings.db.model_copy(update={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})}
    )
    app = create_app(broken, listen_for_tenant_changes=False)
    async with asgi_client(app) as http:
        response = await http.get("/readyz")
        tenant_route = await http.get("/admin/v1/shop", headers={"x-tenant": "acme"})
    await app.state.commerce.database.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
    assert tenant_route.status_code == 503
    assert tenant_route.headers["content-type"] == "application/problem+json"
    assert tenant_route.json()["code"] == "tenant_lookup_unavailable"
    assert tenant_route.headers["retry-after"] == "5"


async def test_change_announced_by_another_process_clears_this_process_cache(
    client: httpx.AsyncClient, database: Database, settings: Settings, tenant_a: TenantHandle
) -> None:
    listening = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'"
    )
    async with database.public_session() as db:
        before = await db.scalar(listening)
    listener = asyncio.create_task(listen_for_changes(settings.db.url))
    try:
        # Wait until it LISTENs (it clears the caches once when it connects): only then fill the cache, so the
        # suspension below can reach this process through the NOTIFY alone, not through that first clearing.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            async with database.public_session() as db:
                if await db.scalar(listening) > before:
                    break
            await asyncio.sleep(0.02)
        assert (await client.get("/admin/v1/shop", headers=tenant_a.headers)).status_code == 200  # cached active
        # What another process's service does, without touching this process's caches: the change first...
        async with database.public_session() as db:
            await db.execute(
                text("UPDATE public.tenants SET status = 'suspended' WHERE id = :id"), {"id": uuid.UUID(tenant_a.id)}
            )
            await db.commit()
        # ... which this process does not see yet (the cache holds: nothing else clears it) ...
        assert (await client.get("/admin/v1/shop", headers=tenant_a.headers)).status_code == 200
        # ... until the announcement arrives.
        async with database.public_session() as db:
            await db.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": CHANGES_CHANNEL, "id": tenant_a.id})
            await db.commit()
        for _ in range(50):
            response = await client.get("/admin/v1/shop", headers=tenant_a.headers)
            if response.status_code == 403:
                break
            await asyncio.sleep(0.05)
        assert response.status_code == 403
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener


async def test_unexpected_error_is_a_500_problem_that_keeps_its_request_id(
    client: httpx.AsyncClient, tenant_a: TenantHandle, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from commerce.shop import service as shop_service

    async def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(shop_service, "read_shop", broken)  # what GET /admin/v1/shop calls
    with caplog.at_level(logging.ERROR):
        response = await client.get("/admin/v1/shop", headers={**tenant_a.headers, "x-request-id": "req-crash"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-crash"
    assert response.json()["code"] == "internal_error"
    assert "boom" not in response.text
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-crash"
    assert line["tenant"] == tenant_a.slug


async def test_openapi_documents_422_as_a_problem(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    invalid = schema["paths"]["/admin/v1/shop"]["patch"]["responses"]["422"]
    assert list(invalid["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operation_ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


async def test_sql_parameters_never_reach_error_messages(database: Database) -> None:
    """Error logs and Sentry events carry the exception's text: it must not carry the statement's values."""
    secret = f"owner-{uuid.uuid4().hex}@example.com"
    with pytest.raises(Exception) as failure:  # noqa: PT011 - any database error: only its text matters here
        async with database.public_session() as db:
            await db.execute(text("SELECT CAST(:value AS text), 1 / 0"), {"value": secret})
    assert "division by zero" in str(failure.value)
    assert secret not in str(failure.value)
    assert secret not in repr(failure.value)
