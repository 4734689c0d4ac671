"""Metrics on a port of their own, from gauges refreshed in the background: a scrape runs no query and answers
while the database is down; the API's port serves none."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.metrics import keep_fleet_gauges_fresh, refresh_fleet_gauges
from api.state import AppState
from core.metrics import serve_metrics
from core.settings import Settings
from tests.fixtures.tenants import TenantHandle


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def metrics_url(app: FastAPI) -> Iterator[str]:
    """The app's registry served as `commerce serve` serves it, on a free loopback port."""
    port = _free_port()
    stop = serve_metrics(port, app.state.commerce.metrics.registry, host="127.0.0.1")
    assert stop is not None
    yield f"http://127.0.0.1:{port}/metrics"
    stop()


async def test_the_api_port_serves_no_metrics(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 404


async def test_a_scrape_serves_the_refreshed_gauges_and_runs_no_query(
    app: FastAPI, metrics_url: str, tenant_a: TenantHandle
) -> None:
    state: AppState = app.state.commerce
    await refresh_fleet_gauges(state)
    statements: list[object] = []

    def record(*args: object) -> None:
        statements.append(args[2])

    event.listen(state.database.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with httpx.AsyncClient() as http:
            scraped = await http.get(metrics_url)
    finally:
        event.remove(state.database.engine.sync_engine, "before_cursor_execute", record)

    assert scraped.status_code == 200
    assert 'commerce_tenants{status="active"}' in scraped.text
    assert "commerce_fleet_gauges_refreshed_timestamp_seconds" in scraped.text
    assert statements == []


async def test_with_the_database_down_the_refresh_fails_and_the_scrape_still_answers(settings: Settings) -> None:
    # A database nobody listens on: the refresh fails, the gauges keep what they had, the scrape answers.
    port = _free_port()
    db = settings.db.model_copy(
        update={"url": f"postgresql://postgres@127.0.0.1:{port}/x", "connect_timeout_seconds": 1}
    )
    state = AppState.build(settings.model_copy(update={"db": db}))
    state.metrics.tenants.labels(status="active").set(7)  # what an earlier refresh read
    metrics_port = _free_port()
    stop = serve_metrics(metrics_port, state.metrics.registry, host="127.0.0.1")
    assert stop is not None
    refreshing = asyncio.create_task(keep_fleet_gauges_fresh(state, interval_seconds=0.05))
    try:
        for _ in range(400):  # bounded: until the background refresh has failed at least once
            if state.metrics.fleet_refresh_failures._value.get() >= 1:
                break
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient() as http:
            scraped = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
    finally:
        refreshing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refreshing
        stop()
        await state.database.dispose()
        await state.auth.close()

    assert state.metrics.fleet_refresh_failures._value.get() >= 1
    assert scraped.status_code == 200
    assert 'commerce_tenants{status="active"} 7.0' in scraped.text
    assert "commerce_fleet_gauges_refresh_failures_total" in scraped.text
