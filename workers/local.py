"""A worker thread inside the current process: the development default with the in-memory broker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import Celery
from celery.contrib.testing.worker import start_worker


@contextmanager
def in_process_worker(app: Celery, *, loglevel: str = "WARNING") -> Iterator[Celery]:
    """Consume ``app``'s queue on a thread (solo pool) until the block exits.

    The in-memory transport only reaches consumers in the same process, so this is how `commerce dev`
    (and the test suite) run real tasks without a broker.
    """
    with start_worker(app, pool="solo", loglevel=loglevel, perform_ping_check=False, shutdown_timeout=20):
        yield app
