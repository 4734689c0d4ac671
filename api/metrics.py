"""``/metrics``: HTTP metrics by route template (never raw paths, never tenants) and product metrics."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, cast

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.middleware import Middleware
from starlette.requests import Request

from api.deps import PublicSession, State
from tenants import service as tenants_service

router = APIRouter(include_in_schema=False)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def instrument(app: FastAPI, registry: CollectorRegistry) -> None:
    """HTTP metrics labelled by route template, method and status class: bounded however many tenants exist.

    Unmatched paths are not recorded at all, so probing random URLs cannot create series either.
    """
    Instrumentator(
        should_group_status_codes=True,
        should_ignore_untemplated=True,
        excluded_handlers=["/metrics", "/healthz", "/readyz"],
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


@router.get("/metrics")
async def get_metrics(state: State, db: PublicSession) -> Response:
    """Prometheus exposition. Tenant gauges are read from the registry at scrape time (one small query)."""
    for status, count in (await tenants_service.status_counts(db)).items():
        state.metrics.tenants.labels(status=status.value).set(count)
    summary = await tenants_service.fleet_summary(db, state.migrations)
    state.metrics.tenants_behind_head.set(summary.behind)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
