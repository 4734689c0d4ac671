"""``/metrics``: HTTP metrics by route template (never raw paths, never tenants) and product metrics."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

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


@router.get("/metrics")
async def get_metrics(state: State, db: PublicSession) -> Response:
    """Prometheus exposition. Tenant gauges are read from the registry at scrape time (one small query)."""
    for status, count in (await tenants_service.status_counts(db)).items():
        state.metrics.tenants.labels(status=status.value).set(count)
    summary = await tenants_service.fleet_summary(db, state.migrations)
    state.metrics.tenants_behind_head.set(summary.behind)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
