"""Metrics with bounded labels, task metrics from a real worker, and scrubbed Sentry events."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk
from celery import Celery
from fastapi import FastAPI
from prometheus_client import generate_latest
from sentry_sdk.envelope import Envelope
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.transport import Transport

from api.metrics import refresh_fleet_gauges
from auth.staff import service as staff_service
from core.db import Database
from core.sentry import init_sentry
from core.settings import SentrySettings, Settings
from tests.fixtures.tenants import MakeTenant, TenantHandle
from tests.fixtures.workers import TIMEOUT, context_of, new_marker, send
from workers.app import metrics_of

SERIES = re.compile(r"^(?P<name>[a-z_]+)(?P<labels>\{[^}]*\})? ", re.MULTILINE)


def series(exposition: str, prefix: str) -> set[str]:
    return {
        m.group("name") + (m.group("labels") or "")
        for m in SERIES.finditer(exposition)
        if m.group("name").startswith(prefix)
    }


async def exposition(app: FastAPI) -> str:
    """What the metrics port serves (api/metrics.py), with the tenant gauges just refreshed."""
    await refresh_fleet_gauges(app.state.commerce)
    return generate_latest(app.state.commerce.metrics.registry).decode()


async def test_metrics_expose_route_templates_and_product_metrics(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    await client.get("/admin/v1/shop", headers=tenant_a.headers)
    await client.get(f"/platform/v1/tenants/{tenant_a.id}")  # 401, but a templated route
    body = await exposition(app)
    assert 'http_requests_total{handler="/admin/v1/shop",method="GET",status="2xx"}' in body
    assert 'handler="/platform/v1/tenants/{tenant_id}"' in body
    assert tenant_a.id not in body
    assert tenant_a.slug not in body
    assert 'commerce_tenants{status="active"}' in body
    assert "commerce_tenants_behind_head" in body
    assert 'commerce_tenant_provisioning_seconds_count{outcome="success"}' in body


async def test_requests_to_fifty_tenants_add_no_new_series(
    app: FastAPI, client: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    tenants = [await make_tenant() for _ in range(50)]
    for path in ("/admin/v1/shop", "/admin/v1/no-such-route"):  # warm up: a 2xx, a 4xx, an unmatched path
        await client.get(path, headers=tenants[0].headers)
    await client.get("/admin/v1/shop", headers={"x-tenant": "ghost-shop"})
    before = series(await exposition(app), "http_")

    for tenant in tenants:
        assert (await client.get("/admin/v1/shop", headers=tenant.headers)).status_code == 200
        await client.get(f"/admin/v1/{tenant.slug}", headers=tenant.headers)  # unmatched, tenant-specific path
        await client.get("/admin/v1/shop", headers={"x-tenant": f"ghost-{tenant.slug}"})
    after = series(await exposition(app), "http_")
    assert after == before
    assert not any(t.slug in s for t in tenants for s in after)


async def test_worker_counts_tasks_by_name_and_outcome(
    celery_worker: Celery, database: Database, tenant_a: TenantHandle
) -> None:
    metrics = metrics_of(celery_worker)
    successes = metrics.tasks.labels(task="tests.observe", outcome="success")
    failures = metrics.tasks.labels(task="tests.observe", outcome="failure")
    before_ok, before_failed = successes._value.get(), failures._value.get()
    send(celery_worker, "tests.observe", await context_of(database, tenant_a), marker=new_marker()).get(timeout=TIMEOUT)
    with pytest.raises(Exception, match="tenant"):
        send(celery_worker, "tests.observe", None, marker=new_marker()).get(timeout=TIMEOUT)
    # The result is stored before task_postrun counts the task: give the worker thread a moment to count.
    deadline = time.monotonic() + TIMEOUT
    while failures._value.get() < before_failed + 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert successes._value.get() == before_ok + 1
    assert failures._value.get() == before_failed + 1
    exposition = generate_latest(metrics.registry).decode()
    assert 'commerce_celery_task_duration_seconds_count{task="tests.observe"}' in exposition
    assert tenant_a.slug not in exposition


class CapturingTransport(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event" and item.payload.json is not None:
                self.events.append(item.payload.json)


@pytest.fixture
def sentry_events(settings: Settings) -> Iterator[list[dict[str, Any]]]:
    transport = CapturingTransport()
    configured = settings.model_copy(update={"sentry": SentrySettings(dsn="https://key@sentry.invalid/1")})
    assert init_sentry(configured, [StarletteIntegration(), FastApiIntegration()], transport=transport)
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)


async def test_sentry_event_has_the_tenant_and_no_credentials(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    sentry_events: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("login backend exploded")

    monkeypatch.setattr(staff_service, "sign_in", broken)
    response = await client.post(
        "/admin/v1/auth/token",
        json={"email": tenant_a.owner_email, "password": tenant_a.owner_password},
        headers={"x-tenant": tenant_a.slug, "authorization": "Bearer very-secret-token", "x-request-id": "req-sentry"},
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = [e for e in sentry_events if "login backend exploded" in json.dumps(e)]
    assert event["tags"]["tenant"] == tenant_a.slug
    assert event["tags"]["request_id"] == "req-sentry"
    serialized = json.dumps(event)
    assert "very-secret-token" not in serialized
    assert tenant_a.owner_password not in serialized
    assert tenant_a.owner_email not in serialized
