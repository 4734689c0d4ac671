"""Counting round trips to PostgreSQL, exactly: for tests and benchmarks, never switched on in production.

Statement counters (``before_cursor_execute``) miss the round trips that cost the most on a hot path:
psycopg's implicit ``BEGIN``, ``COMMIT``, the pool's pre-ping and reset-on-return. So this counter
attaches to an engine's pool and has libpq trace the protocol of every checked-out connection; each
``ReadyForQuery`` the server sends ends one round trip (a simple query, or a pipeline up to its Sync).
Connections opened meanwhile are counted apart (``connects``): their handshake is not traced.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

_TRACE_KEY = "round_trip_trace"
_END_OF_ROUND_TRIP = b"\tReadyForQuery\t"


class RoundTripCounter:
    """Round trips, statements and new connections of one engine's pool since the last ``reset()``."""

    def __init__(self, engine: Engine | AsyncEngine) -> None:
        self.round_trips = 0
        self.statements = 0
        self.connects = 0
        sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
        self._engine = sync_engine
        event.listen(sync_engine.pool, "checkout", self._on_checkout)
        event.listen(sync_engine.pool, "checkin", self._on_checkin)
        event.listen(sync_engine.pool, "connect", self._on_connect)
        event.listen(sync_engine, "before_cursor_execute", self._on_statement)

    def reset(self) -> None:
        self.round_trips = self.statements = self.connects = 0

    def detach(self) -> None:
        event.remove(self._engine.pool, "checkout", self._on_checkout)
        event.remove(self._engine.pool, "checkin", self._on_checkin)
        event.remove(self._engine.pool, "connect", self._on_connect)
        event.remove(self._engine, "before_cursor_execute", self._on_statement)

    def _on_connect(self, dbapi_connection: Any, record: Any) -> None:
        self.connects += 1

    def _on_statement(self, *args: Any) -> None:
        self.statements += 1

    def _on_checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        trace = tempfile.TemporaryFile()  # noqa: SIM115 - closed at checkin
        pgconn: pq.abc.PGconn = record.driver_connection.pgconn
        pgconn.trace(os.dup(trace.fileno()))  # libpq closes its FILE (and this fd) at untrace
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        record.info[_TRACE_KEY] = trace

    def _on_checkin(self, dbapi_connection: Any, record: Any) -> None:
        trace = record.info.pop(_TRACE_KEY, None)
        if trace is None:
            return
        if dbapi_connection is not None:  # None: the connection was invalidated and closed
            record.driver_connection.pgconn.untrace()
        with trace:
            trace.seek(0)
            self.round_trips += trace.read().count(_END_OF_ROUND_TRIP)
