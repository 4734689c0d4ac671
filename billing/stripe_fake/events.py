"""The fake's events: built as Stripe builds them, signed as Stripe signs them, delivered as tests need.

Every event is kept (``events``, also served at ``GET /v1/events/{id}``). Events of connected accounts
(they carry ``account``) go to the Connect endpoint, the platform's own (``application_fee.*``) to the
platform endpoint; an event whose endpoint is not configured is only kept.

Delivery modes:

- immediate (the default once an endpoint is configured): a background thread POSTs each event in the
  order it happened, retrying a non-2xx answer or a connection error with a doubling delay, a bounded
  number of times (Stripe retries for three days; a test or a dev server cannot wait that long);
- ``duplicate=True``: every delivery is made twice (Stripe's at-least-once delivery);
- hold: events queue up (``held()``); the test delivers them when and in the order it wants,
  ``release(order=[...])`` or ``deliver(event_ids, reversed=True)``, synchronously in its own thread,
  or takes them signed (``take()``) to post them itself (to an in-process ASGI app).
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from billing.stripe_fake.wire import stripe_signature_header

log = logging.getLogger(__name__)

API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str


@dataclass(frozen=True)
class Delivery:
    event_id: str
    type: str
    url: str
    attempt: int
    status: int | None  # None: the connection failed


@dataclass
class EventEmitter:
    connect: Endpoint | None = None
    platform: Endpoint | None = None
    hold: bool = False
    duplicate: bool = False
    max_attempts: int = 5
    retry_delay: float = 0.2
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    _held: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _busy: int = 0
    _thread: threading.Thread | None = None

    # --- configuration ------------------------------------------------------------------------------

    def configure(
        self,
        *,
        connect_url: str | None = None,
        connect_secret: str | None = None,
        platform_url: str | None = None,
        platform_secret: str | None = None,
        hold: bool | None = None,
        duplicate: bool | None = None,
        max_attempts: int | None = None,
        retry_delay: float | None = None,
    ) -> None:
        with self._lock:
            if connect_url is not None:
                self.connect = Endpoint(connect_url, connect_secret or "")
            if platform_url is not None:
                self.platform = Endpoint(platform_url, platform_secret or "")
            if hold is not None:
                self.hold = hold
            if duplicate is not None:
                self.duplicate = duplicate
            if max_attempts is not None:
                self.max_attempts = max_attempts
            if retry_delay is not None:
                self.retry_delay = retry_delay

    def reset(self) -> None:
        """Back to the defaults: no endpoints, immediate delivery, nothing held (events stay recorded)."""
        with self._lock:
            self.connect = self.platform = None
            self.hold = self.duplicate = False
            self.max_attempts, self.retry_delay = 5, 0.2
            self._held.clear()

    # --- emission (called under the fake's state lock) ------------------------------------------------

    def emit(
        self,
        type_: str,
        obj: dict[str, Any],
        *,
        account: str | None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": json.loads(json.dumps(obj))}  # the object as it is now
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event: dict[str, Any] = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": type_,
        }
        if account is not None:
            event["account"] = account
        with self._lock:
            self.events[event["id"]] = event
            if self._endpoint(event) is None:
                return event
            if self.hold:
                self._held.append(event["id"])
            else:
                self._enqueue(event["id"])  # the condition's lock is reentrant
        return event

    def _endpoint(self, event: dict[str, Any]) -> Endpoint | None:
        return self.connect if "account" in event else self.platform

    # --- tests' control of delivery -------------------------------------------------------------------

    def held(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self.events[event_id] for event_id in self._held]

    def of_type(self, type_: str, *, account: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                e
                for e in self.events.values()
                if e["type"] == type_ and (account is None or e.get("account") == account)
            ]

    def release(self, order: Sequence[str] | None = None) -> list[Delivery]:
        """Deliver the held events (all, in the order they happened, or those named, in the order named)."""
        with self._lock:
            ids = list(self._held) if order is None else list(order)
        return self.deliver(ids)

    def deliver(self, event_ids: Iterable[str], *, reversed: bool = False) -> list[Delivery]:
        """Deliver these events now, in this thread (each twice with ``duplicate``); they leave the held queue."""
        ids = list(event_ids)
        if reversed:
            ids.reverse()
        results: list[Delivery] = []
        for event_id in ids:
            with self._lock:
                if event_id in self._held:
                    self._held.remove(event_id)
                times = 2 if self.duplicate else 1
            for _ in range(times):
                results.append(self._deliver(event_id))
        return results

    def take(self, order: Sequence[str] | None = None) -> list[tuple[bytes, dict[str, str]]]:
        """The held events as signed deliveries ``(body, headers)`` for the test to post itself; no longer held."""
        with self._lock:
            ids = list(self._held) if order is None else list(order)
            for event_id in ids:
                if event_id in self._held:
                    self._held.remove(event_id)
        return [self.signed(event_id) for event_id in ids]

    def signed(self, event_id: str) -> tuple[bytes, dict[str, str]]:
        """``(body, headers)`` of a delivery of this event, signed now with its endpoint's secret."""
        with self._lock:
            event = self.events[event_id]
            endpoint = self._endpoint(event)
        body = json.dumps(event, separators=(",", ":")).encode()
        secret = endpoint.secret if endpoint is not None else ""
        return body, {
            "Stripe-Signature": stripe_signature_header(body, [secret]),
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }

    def resume(self) -> None:
        """Immediate delivery again; what was held is queued, in the order it happened."""
        with self._lock:
            self.hold = False
            held, self._held = self._held, []
        for event_id in held:
            self._enqueue(event_id)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the background thread has delivered (or given up on) everything queued."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def delivered(self, event_id: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.event_id == event_id]

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    # --- delivery -------------------------------------------------------------------------------------

    def _enqueue(self, event_id: str) -> None:
        with self._lock:
            self._start()
            for _ in range(2 if self.duplicate else 1):
                self._busy += 1
                self._queue.put(event_id)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fake-stripe-events", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (event_id := self._queue.get()) is not None:
            try:
                self._deliver_with_retries(event_id)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._lock.notify_all()

    def _deliver_with_retries(self, event_id: str) -> None:
        delay = self.retry_delay
        for attempt in range(1, self.max_attempts + 1):
            delivery = self._deliver(event_id, attempt=attempt)
            if delivery.status is not None and 200 <= delivery.status < 300:
                return
            if attempt < self.max_attempts:
                time.sleep(delay)  # Stripe's backoff, compressed: this is the delivery thread, not a test
                delay *= 2
        log.warning("fake stripe gave up delivering an event", extra={"event_id": event_id})

    def _deliver(self, event_id: str, *, attempt: int = 1) -> Delivery:
        with self._lock:
            event = self.events[event_id]
            endpoint = self._endpoint(event)
        if endpoint is None:
            raise LookupError(f"no endpoint is configured for {event_id} ({event['type']})")
        body, headers = self.signed(event_id)
        status: int | None
        try:
            with httpx.Client(timeout=30.0, trust_env=False) as client:
                status = client.post(endpoint.url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = None
        delivery = Delivery(event_id=event_id, type=event["type"], url=endpoint.url, attempt=attempt, status=status)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery
