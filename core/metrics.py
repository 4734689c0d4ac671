"""Product metrics (Prometheus). Labels are bounded by design: never a tenant, a path or an id.

Each process (API, worker) owns one ``CollectorRegistry`` with these metrics in it, so tests can build
several apps in one process without colliding in the global registry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class ProductMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.tenants = Gauge("commerce_tenants", "Tenants by status.", ["status"], registry=self.registry)
        self.tenants_behind_head = Gauge(
            "commerce_tenants_behind_head",
            "Tenants whose schema is behind this release's head revision.",
            registry=self.registry,
        )
        self.fleet_refreshed = Gauge(
            "commerce_fleet_gauges_refreshed_timestamp_seconds",
            "When the tenant gauges above were last read from the registry (Unix time); stale during a database outage.",
            registry=self.registry,
        )
        self.fleet_refresh_failures = Counter(
            "commerce_fleet_gauges_refresh_failures",
            "Background reads of the tenant gauges that failed (the gauges keep their last values).",
            registry=self.registry,
        )
        self.provisioning = Histogram(
            "commerce_tenant_provisioning_seconds",
            "Time to provision a tenant, registry row to active.",
            ["outcome"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.tasks = Counter(
            "commerce_celery_tasks",
            "Celery tasks run, by task name and outcome.",
            ["task", "outcome"],
            registry=self.registry,
        )
        self.outbox_jobs = Counter(
            "commerce_outbox_jobs",
            "Outbox jobs the relay handed to the broker (delivered) or kept for a later attempt (kept: broker down).",
            ["outcome"],
            registry=self.registry,
        )
        self.task_duration = Histogram(
            "commerce_celery_task_duration_seconds",
            "Celery task run time, by task name.",
            ["task"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    """Observe the block's duration under ``outcome="success"`` or ``"failure"``."""
    started = time.perf_counter()
    outcome = "failure"
    try:
        yield
        outcome = "success"
    finally:
        histogram.labels(outcome=outcome).observe(time.perf_counter() - started)


def serve_metrics(
    port: int,
    registry: CollectorRegistry,
    *,
    host: str = "0.0.0.0",  # noqa: S104  # nosec B104 - a worker's metrics are scraped from other hosts (as before)
) -> Callable[[], None] | None:
    """Expose ``registry`` on ``host:port/metrics`` from a daemon thread; 0 disables it.

    A port already in use (a second process on the host) costs the metrics, never the process: the
    work it does matters more than its scrape target. Returns how to stop the endpoint, or None when it is not up.
    """
    if not port:
        return None
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.warning("metrics endpoint not started: port %s is unavailable (%s)", port, exc.strerror or exc)
        return None

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
