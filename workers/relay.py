"""The outbox relay: hands committed jobs (rows of ``public.job_outbox``) to the broker, off the request path.

One relay thread runs in every API process (started by the app's lifespan) and in every ``commerce worker``
(next to the Celery worker); any number may run at once, since rows are claimed with ``FOR UPDATE SKIP
LOCKED`` and a lease. A relay wakes when a transaction of its own process commits jobs (an in-memory
signal from ``core.jobs``, no I/O on the committing thread) and otherwise polls every
``COMMERCE_CELERY__OUTBOX_POLL_INTERVAL_SECONDS`` for jobs other processes committed (the CLI, a process
that died before its relay ran).

Each pass claims a batch in one short transaction, publishes it outside any transaction (each publish
bounded by ``COMMERCE_CELERY__PUBLISH_TIMEOUT_SECONDS``), then marks what the broker took as delivered.
When the broker refuses or does not answer, the rest of the batch goes back to ``pending`` with an
exponential backoff (capped at ``COMMERCE_CELERY__OUTBOX_RETRY_MAX_SECONDS``), the failure is logged and
counted, and nothing is lost: the jobs are delivered once the broker is back.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from core import outbox
from core.db import bound_server_waits, create_sync_db_engine
from core.jobs import Job, add_relay_waker, remove_relay_waker
from core.metrics import ProductMetrics
from core.settings import Settings
from workers.app import CeleryDispatcher

log = logging.getLogger(__name__)

# A claimed job is invisible to other relays for the lease: a relay that lost its connection right after its
# claim committed (or died) delays those jobs this long, no more. A pass publishes for at most half of it.
_MIN_LEASE_SECONDS = 10.0
_PURGE_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class RelayPass:
    delivered: int
    failed: int  # jobs put back for a later attempt (the broker was unreachable)
    retry_in: float | None  # seconds until the failed jobs are due again


class OutboxRelay:
    def __init__(self, settings: Settings, dispatcher: CeleryDispatcher, metrics: ProductMetrics) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.metrics = metrics
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._last_purge = 0.0
        # What the last publish attempt saw, for /readyz and the logs (None: nothing tried yet).
        self.last_error: str | None = None

    @property
    def lease_seconds(self) -> float:
        return max(_MIN_LEASE_SECONDS, 5 * self.settings.celery.publish_timeout_seconds)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = create_sync_db_engine(self.settings.db, pool_size=1)
            bound_server_waits(engine, self.settings.db)
            self._engine = engine
        return self._engine

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        add_relay_waker(self.wake)
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current pass (bounded by the publish and database timeouts)."""
        remove_relay_waker(self.wake)
        thread, self._thread = self._thread, None
        self._stopping.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout=self.settings.celery.publish_timeout_seconds + self.settings.db.timeout_seconds + 5)
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def wake(self) -> None:
        """Called after a commit queued jobs: no I/O, safe from the event loop."""
        self._wake.set()

    def _run(self) -> None:
        poll = self.settings.celery.outbox_poll_interval_seconds
        while not self._stopping.is_set():
            self._wake.clear()
            wait = poll
            try:
                result = self.relay_due()
                if result.retry_in is not None:
                    wait = min(poll, result.retry_in) if result.retry_in > 0 else poll
                self._purge_now_and_then()
            except Exception:  # the database is unreachable: the jobs are safe in it, try again later
                log.warning("outbox relay pass failed", exc_info=True)
            self._wake.wait(wait)

    # --- one pass ------------------------------------------------------------------------------------------

    def relay_due(self) -> RelayPass:
        """Publish every due job, batch by batch, until none is due or the broker fails."""
        delivered = 0
        celery = self.settings.celery
        while not self._stopping.is_set():
            with self.engine.begin() as connection:
                claimed = outbox.claim_due(connection, limit=celery.outbox_batch_size, lease_seconds=self.lease_seconds)
            if not claimed:
                return RelayPass(delivered=delivered, failed=0, retry_in=None)
            published: list[outbox.ClaimedJob] = []
            failure: Exception | None = None
            started = time.monotonic()
            for job in claimed:
                if time.monotonic() - started > self.lease_seconds / 2:
                    break  # a slow broker: give the rest back before the lease lets another relay take them too
                try:
                    self.dispatcher.dispatch(
                        Job(
                            name=job.name,
                            kwargs=job.kwargs,
                            tenant_id=job.tenant_id,
                            countdown=job.countdown,
                            id=job.id,
                        )
                    )
                except Exception as exc:  # the broker refused or did not answer in time
                    failure = exc
                    break
                published.append(job)
            unsent = claimed[len(published) :]
            with self.engine.begin() as connection:
                outbox.mark_delivered(connection, [job.id for job in published])
                if failure is None and unsent:
                    outbox.retry_later(connection, [job.id for job in unsent], delay_seconds=0, error="")
                if failure is not None:
                    delay = self.backoff(unsent[0].attempts)
                    error = f"{type(failure).__name__}: {failure}"
                    outbox.retry_later(connection, [job.id for job in unsent], delay_seconds=delay, error=error)
            delivered += len(published)
            self.metrics.outbox_jobs.labels(outcome="delivered").inc(len(published))
            if failure is not None:
                self.last_error = f"{type(failure).__name__}: {failure}"
                self.metrics.outbox_jobs.labels(outcome="kept").inc(len(unsent))
                log.warning(
                    "broker unreachable: %d job(s) kept in the outbox, next attempt in %.1f s",
                    len(unsent),
                    delay,
                    extra={"error": self.last_error, "jobs_kept": len(unsent)},
                )
                return RelayPass(delivered=delivered, failed=len(unsent), retry_in=delay)
            self.last_error = None
        return RelayPass(delivered=delivered, failed=0, retry_in=None)

    def backoff(self, attempts: int) -> float:
        """0.5, 1, 2, 4... seconds after the 1st, 2nd, 3rd... failed attempt, capped, with +-20% jitter."""
        base = min(self.settings.celery.outbox_retry_max_seconds, 0.5 * 2 ** max(0, attempts - 1))
        return float(base * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not security

    def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        with self.engine.begin() as connection:
            outbox.purge_delivered(
                connection, older_than_seconds=self.settings.celery.outbox_retention_seconds, limit=10_000
            )
