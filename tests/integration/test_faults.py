"""Faults injected through a TCP proxy the test controls (tests/fixtures/faults.py), under bounded load, against
the app served over real HTTP: what clients see, what was kept, and recovery without a restart.

* The broker (Redis) refused or black-holed: requests never touch it (a sentinel: the proxy counts no
  connection while only requests run), answer as usual, and every job committed meanwhile is delivered once
  the broker is back. Needs Redis (a reported skip without REDIS_URL: the in-memory broker cannot be cut off).
* PostgreSQL refused, black-holed or cut mid-stream: every surface answers 503 problem+json with Retry-After
  (never a 500, never a hang), nothing a client was told is committed goes missing, and the same process
  serves again once the fault is lifted.

``HANG_GUARD`` only stops a broken build from hanging the suite: the bounds proved here are the app's own
(connect, pool and request deadlines set small in these tests), and clients see them as 503s.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from celery import Celery
from fastapi import FastAPI

from api.app import create_app
from core.errors import PROBLEM_CONTENT_TYPE
from core.settings import Settings
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.faults import FaultProxy
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.tenants import TenantHandle, tenant_body

HANG_GUARD = 60.0
CONCURRENCY = 6
OUTAGE_CODES = {"database_unavailable", "request_timeout", "tenant_lookup_unavailable"}


async def bounded(concurrency: int, calls: list[Callable[[], Awaitable[httpx.Response]]]) -> list[httpx.Response]:
    """Run ``calls`` with at most ``concurrency`` in flight (bounded load), under the hang guard."""
    gate = asyncio.Semaphore(concurrency)

    async def run(call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        async with gate:
            return await call()

    async with asyncio.timeout(HANG_GUARD):
        return list(await asyncio.gather(*(run(call) for call in calls)))


@pytest.fixture
def quiet_session_relay(app: FastAPI) -> Iterator[None]:
    """Stop the suite app's relay for the test: only the app under test may deliver its jobs."""
    relay = app.state.commerce.relay
    relay.stop()
    yield
    relay.start()


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis (REDIS_URL): the in-memory broker lives in this process and cannot be cut off")
    return url


def with_broker(settings: Settings, broker_url: str) -> Settings:
    celery = settings.celery.model_copy(
        update={
            "broker_url": broker_url,
            "publish_timeout_seconds": 0.5,
            "outbox_retry_max_seconds": 0.5,
            "outbox_poll_interval_seconds": 0.5,
        }
    )
    return settings.model_copy(update={"celery": celery})


# --- the broker ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["refuse", "blackhole"])
async def test_a_broker_outage_costs_requests_nothing_and_committed_jobs_are_delivered_after_it(
    fault: str,
    settings: Settings,
    celery_worker: Celery,
    operator: OperatorHandle,
    smtp_server: SmtpSink,
    make_fault_proxy: Callable[[str, int], FaultProxy],
    serve_live: Callable[[FastAPI], str],
    quiet_session_relay: None,
) -> None:
    url = redis_url()
    proxy = make_fault_proxy(url, 6379)
    getattr(proxy, fault)()
    app = create_app(with_broker(settings, proxy.url_for(url)), listen_for_tenant_changes=False, relay_jobs=False)
    bodies = [tenant_body() for _ in range(CONCURRENCY)]
    async with httpx.AsyncClient(base_url=serve_live(app)) as http:
        responses = await bounded(
            CONCURRENCY,
            [
                *(
                    lambda body=body: http.post(
                        "/platform/v1/tenants", json=body.model_dump(), headers=operator.headers
                    )
                    for body in bodies
                ),
                *(lambda: http.get("/healthz") for _ in range(CONCURRENCY)),
            ],
        )
        assert [r.status_code for r in responses] == [201] * CONCURRENCY + [200] * CONCURRENCY
        # The sentinel: only requests ran (this app's relay is not started yet) and none went near the broker.
        assert proxy.accepted == 0

        app.state.commerce.relay.start()  # as the lifespan does; it meets the outage and keeps the jobs
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["broker"].startswith("error")
        assert ready.json()["outbox"]["pending"] >= CONCURRENCY

        proxy.restore()
        for body in bodies:
            [welcome] = await asyncio.to_thread(smtp_server.messages_to, body.owner_email.lower(), timeout=30)
            assert body.name in welcome["Subject"]
        assert (await http.get("/readyz")).json()["checks"]["broker"] == "ok"
    app.state.commerce.relay.stop()


# --- PostgreSQL -----------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def db_behind_proxy(
    settings: Settings,
    make_fault_proxy: Callable[[str, int], FaultProxy],
    serve_live: Callable[[FastAPI], str],
) -> AsyncIterator[tuple[FaultProxy, httpx.AsyncClient]]:
    """The app, served live, with its database (not its broker) behind a fault proxy and small bounds."""
    proxy = make_fault_proxy(settings.db.url, 5432)
    db = settings.db.model_copy(
        update={
            "url": proxy.url_for(settings.db.url),
            "timeout_seconds": 2.0,
            "connect_timeout_seconds": 1,
            "pool_timeout_seconds": 1.0,
            "pool_size": 4,
            "max_overflow": 0,
        }
    )
    app = create_app(settings.model_copy(update={"db": db}), listen_for_tenant_changes=False)
    async with httpx.AsyncClient(base_url=serve_live(app)) as http:
        yield proxy, http


def surfaces(http: httpx.AsyncClient, operator: OperatorHandle, tenant: TenantHandle) -> list[Callable[[], Any]]:
    """One request of each kind: platform read, tenant read (the tenant is cached), tenant write. (Metrics are on a
    port of their own and need no database: tests/integration/test_metrics_port.py.)"""
    return [
        lambda: http.get("/platform/v1/tenants", headers=operator.headers),
        lambda: http.get("/admin/v1/shop", headers=tenant.headers),
        lambda: http.patch("/admin/v1/shop", json={"timezone": "Europe/Paris"}, headers=tenant.headers),
    ]


def assert_outage_problem(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] in OUTAGE_CODES
    assert int(response.headers["retry-after"]) >= 1


async def recovered(http: httpx.AsyncClient, operator: OperatorHandle) -> httpx.Response:
    """The first answer after the fault is lifted that is not an outage (bounded: a stale pooled connection or
    two may still answer 503 before the pool is invalidated)."""
    for _ in range(20):
        response = await http.get("/platform/v1/tenants", headers=operator.headers)
        if response.status_code != 503:
            return response
        assert_outage_problem(response)
    return response


@pytest.mark.parametrize("fault", ["refuse", "blackhole"])
async def test_a_database_outage_is_503_problems_on_every_surface_and_the_process_recovers(
    fault: str,
    db_behind_proxy: tuple[FaultProxy, httpx.AsyncClient],
    operator: OperatorHandle,
    tenant_a: TenantHandle,
) -> None:
    proxy, http = db_behind_proxy
    warm = await bounded(CONCURRENCY, surfaces(http, operator, tenant_a))  # pooled connections, cached tenant
    assert [r.status_code for r in warm][:2] == [200, 200]

    getattr(proxy, fault)()
    during = await bounded(CONCURRENCY, surfaces(http, operator, tenant_a) * 3)
    for response in during:
        assert_outage_problem(response)
    assert (await http.get("/healthz")).status_code == 200
    ready = await http.get("/readyz")
    assert ready.status_code == 503
    if ready.headers["content-type"] == PROBLEM_CONTENT_TYPE:  # a black hole: the request deadline answered
        assert_outage_problem(ready)
    else:
        assert ready.json()["checks"]["database"].startswith("error")

    proxy.restore()
    assert (await recovered(http, operator)).status_code == 200
    after = await bounded(CONCURRENCY, surfaces(http, operator, tenant_a) * 2)
    assert [r.status_code for r in after] == [200] * len(after)
    assert (await http.get("/readyz")).status_code == 200


async def test_connections_cut_mid_stream_lose_nothing_a_client_was_told_is_committed(
    db_behind_proxy: tuple[FaultProxy, httpx.AsyncClient],
    operator: OperatorHandle,
    celery_worker: Celery,
    smtp_server: SmtpSink,
) -> None:
    proxy, http = db_behind_proxy
    bodies = [tenant_body() for _ in range(12)]

    async def create(index: int) -> httpx.Response:
        if index % 4 == 3:
            proxy.cut()  # every open connection reset while provisionings are in flight
        return await http.post("/platform/v1/tenants", json=bodies[index].model_dump(), headers=operator.headers)

    responses = await bounded(4, [functools.partial(create, index) for index in range(len(bodies))])
    for response in responses:
        assert response.status_code in (201, 503), response.text
        if response.status_code == 503:
            assert_outage_problem(response)
    created = [body for body, response in zip(bodies, responses, strict=True) if response.status_code == 201]
    assert created, "no provisioning went through between the cuts"

    assert (await recovered(http, operator)).status_code == 200
    for body, response in zip(bodies, responses, strict=True):
        if response.status_code != 201:
            continue
        tenant_id = response.json()["tenant"]["id"]
        stored = await http.get(f"/platform/v1/tenants/{tenant_id}", headers=operator.headers)
        assert stored.json()["status"] == "active"
        # Its job was committed with it: the welcome mail arrives.
        [welcome] = await asyncio.to_thread(smtp_server.messages_to, body.owner_email.lower(), timeout=30)
        assert body.name in welcome["Subject"]


async def test_provisionings_never_hold_two_connections_twenty_at_once_on_a_pool_of_two(
    settings: Settings, operator: OperatorHandle, serve_live: Callable[[FastAPI], str]
) -> None:
    db = settings.db.model_copy(update={"pool_size": 2, "max_overflow": 0, "pool_timeout_seconds": 30.0})
    db = db.model_copy(update={"timeout_seconds": 60.0})
    app = create_app(settings.model_copy(update={"db": db}), listen_for_tenant_changes=False)
    bodies = [tenant_body() for _ in range(20)]
    async with httpx.AsyncClient(base_url=serve_live(app), timeout=120) as http:
        async with asyncio.timeout(HANG_GUARD * 2):
            responses = await asyncio.gather(
                *(http.post("/platform/v1/tenants", json=b.model_dump(), headers=operator.headers) for b in bodies)
            )
        assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
        for response in responses:
            assert response.json()["tenant"]["status"] == "active"
