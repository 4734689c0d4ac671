"""Prometheus metrics: HTTP metrics by route template (never raw paths, never tenants) and product metrics.

They are served on a port of their own (``COMMERCE_METRICS__PORT``), never on the API's: a scrape reads gauges
kept in memory and runs no query, so it answers while the database is down, and the public port does not
expose them. The tenant gauges are refreshed from the registry in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, cast

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.middleware import Middleware
from starlette.requests import Request

from api.state import AppState
from tenants import service as tenants_service

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def instrument(app: FastAPI, registry: CollectorRegistry) -> None:
    """HTTP metrics labelled by route template, method and status class: bounded however many tenants exist.

    Unmatched paths are not recorded at all, so probing random URLs cannot create series either.
    """
    Instrumentator(
        should_group_status_codes=True,
        should_ignore_untemplated=True,
        excluded_handlers=["/healthz", "/readyz"],
        registry=registry,
    ).instrument(app, latency_lowr_buckets=_LATENCY_BUCKETS)
    app.user_middleware = [
        Middleware(_RouteNameMemo, *m.args, **m.kwargs) if cast(Any, m.cls) is PrometheusInstrumentatorMiddleware else m
        for m in app.user_middleware
    ]


class _RouteNameMemo(PrometheusInstrumentatorMiddleware):
    """The instrumentator finds a request's route template by trying every route, on every request (a
    tenth of the CPU of a cached read: bench/README.md). The answer depends on the method and path only:
    remember the last few thousand."""

    _MAX = 4096

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._handlers: OrderedDict[tuple[str, str, str], tuple[str, bool]] = OrderedDict()

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        key = (request.scope.get("root_path", ""), request.method, request.scope["path"])
        found = self._handlers.get(key)
        if found is None:
            found = self._handlers[key] = super()._get_handler(request)
            if len(self._handlers) > self._MAX:
                self._handlers.popitem(last=False)
        return found


async def refresh_fleet_gauges(state: AppState) -> None:
    """Read the tenant gauges from the registry once (two small queries)."""
    async with state.database.public_session() as db:
        counts = await tenants_service.status_counts(db)
        summary = await tenants_service.fleet_summary(db, state.migrations)
    for status, count in counts.items():
        state.metrics.tenants.labels(status=status.value).set(count)
    state.metrics.tenants_behind_head.set(summary.behind)
    state.metrics.fleet_refreshed.set(time.time())


async def keep_fleet_gauges_fresh(state: AppState, interval_seconds: float) -> None:
    """Refresh the tenant gauges every ``interval_seconds`` until cancelled; a failure keeps the last values."""
    while True:
        try:
            await refresh_fleet_gauges(state)
        except asyncio.CancelledError:
            raise
        except Exception:
            state.metrics.fleet_refresh_failures.inc()
            log.warning("could not refresh the tenant gauges; they keep their last values", exc_info=True)
        await asyncio.sleep(interval_seconds)
