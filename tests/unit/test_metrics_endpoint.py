"""The worker's metrics endpoint: a port already in use costs the metrics, never the process."""

from __future__ import annotations

import logging
import socket
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from core.metrics import serve_metrics


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_metrics_are_served_on_the_port() -> None:
    registry = CollectorRegistry()
    Counter("commerce_probe", "A probe.", registry=registry).inc()
    port = _free_port()

    stop = serve_metrics(port, registry)
    assert stop is not None

    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    stop()
    assert "commerce_probe_total 1.0" in body


def test_a_port_in_use_is_a_warning_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - the metrics server binds every address, so must the squatter
        taken.listen()
        port = taken.getsockname()[1]

        with caplog.at_level(logging.WARNING, logger="core.metrics"):
            started = serve_metrics(port, CollectorRegistry())

    assert started is None
    assert f"port {port} is unavailable" in caplog.text


def test_port_zero_disables_the_endpoint() -> None:
    assert serve_metrics(0, CollectorRegistry()) is None
