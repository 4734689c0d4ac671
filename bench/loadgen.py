"""Closed-loop HTTP load generators: ``concurrency`` keep-alive connections, a bounded number of requests.

Two clients, both measuring latency per request (request written to last body byte):

* ``raw`` (default): a minimal HTTP/1.1 client on asyncio protocols with pre-encoded requests. On a
  2-core machine the client shares the CPUs with the server under test, so it must be cheap:
  httpx spends ~5 ms of CPU per request here, as much as the server itself.
* ``httpx``: ``httpx.AsyncClient``, for comparison.

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from bench.common import percentile

Headers = dict[str, str]
LOOPBACK = "127.0.0.1"


@dataclass(slots=True)
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    server_cpu_seconds: float | None = None
    postgres_cpu_seconds: float | None = None
    client_cpu_seconds: float | None = None
    machine_busy_seconds: float | None = None
    server_counters: dict[str, int] = field(default_factory=dict)  # deltas of the app's /_bench/stats

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def foreign_cpu_share(self) -> float | None:
        """Share of the machine's CPU used by processes other than the app, its backends and the client."""
        ours = (self.server_cpu_seconds, self.postgres_cpu_seconds, self.client_cpu_seconds)
        if self.machine_busy_seconds is None or any(v is None for v in ours):
            return None
        foreign = self.machine_busy_seconds - sum(v for v in ours if v is not None)
        return max(0.0, foreign) / (self.seconds * (os.cpu_count() or 1))

    def per_request(self, counter: str) -> float | None:
        value = self.server_counters.get(counter)
        return None if value is None else value / self.requests

    def cpu_ms_per_request(self, cpu_seconds: float | None) -> float | None:
        return None if cpu_seconds is None else cpu_seconds / self.requests * 1000


class LoadClient(Protocol):
    async def get(self, path: str, headers: Sequence[Headers], *, concurrency: int) -> LoadResult: ...

    async def aclose(self) -> None: ...


def _check_loopback(port: int) -> str:
    if not 0 < port < 65_536:
        raise ValueError(f"bad port {port}")
    return f"http://{LOOPBACK}:{port}"


# --- raw HTTP/1.1 ------------------------------------------------------------------------------------


class _Exchange(asyncio.Protocol):
    """One keep-alive connection: send a request, wait for one complete response (Content-Length bodies)."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self._lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._try_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or ConnectionResetError("the server closed the connection")
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(self._lost)

    def _try_complete(self) -> None:
        if self._waiter is None or self._waiter.done():
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        length: int | None = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                self._waiter.set_exception(RuntimeError("chunked responses are not supported by the raw client"))
                return
        if length is None:
            self._waiter.set_exception(RuntimeError(f"no Content-Length in {head[0]!r}"))
            return
        total = end + 4 + length
        if len(self._buffer) < total:
            return
        del self._buffer[:total]
        self._waiter.set_result(int(head[0].split(" ", 2)[1]))

    async def exchange(self, request: bytes) -> int:
        if self._lost is not None or self._transport is None:
            raise ConnectionError("connection closed") from self._lost
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class RawClient:
    def __init__(self, port: int) -> None:
        _check_loopback(port)
        self._port = port
        self._encoded: dict[tuple[str, str, tuple[tuple[str, str], ...], bytes], bytes] = {}

    def _request(self, method: str, path: str, headers: Headers, body: bytes = b"") -> bytes:
        key = (method, path, tuple(headers.items()), body)
        encoded = self._encoded.get(key)
        if encoded is None:
            lines = [
                f"{method} {path} HTTP/1.1",
                f"Host: {LOOPBACK}:{self._port}",
                *(f"{k}: {v}" for k, v in headers.items()),
            ]
            if body:
                lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
            encoded = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
            self._encoded[key] = encoded
        return encoded

    async def get(self, path: str, headers: Sequence[Headers], *, concurrency: int) -> LoadResult:
        return await self.request("GET", path, headers, concurrency=concurrency)

    async def request(
        self, method: str, path: str, headers: Sequence[Headers], *, concurrency: int, body: bytes = b""
    ) -> LoadResult:
        requests = [self._request(method, path, h, body) for h in headers]
        loop = asyncio.get_running_loop()
        connections: list[_Exchange] = []
        for _ in range(concurrency):
            _, protocol = await loop.create_connection(_Exchange, LOOPBACK, self._port)
            connections.append(protocol)
        latencies: list[float] = []
        errors: dict[int, int] = {}
        queue = iter(requests)

        async def worker(connection: _Exchange) -> None:
            for request in queue:  # one shared iterator: each request is sent exactly once
                started = time.perf_counter()
                status = await connection.exchange(request)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1

        started = time.perf_counter()
        try:
            await asyncio.gather(*(worker(c) for c in connections))
        finally:
            seconds = time.perf_counter() - started
            for connection in connections:
                connection.close()
        return LoadResult(requests=len(latencies), seconds=seconds, latencies=latencies, errors=errors)

    async def aclose(self) -> None:
        return None


# --- httpx ---------------------------------------------------------------------------------------------


def httpx_client(port: int, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # trust_env=False: no proxy from the environment may see (or slow) loopback traffic.
    return httpx.AsyncClient(base_url=_check_loopback(port), limits=limits, timeout=60.0, trust_env=False)


class HttpxClient:
    def __init__(self, port: int, concurrency: int) -> None:
        self._http = httpx_client(port, concurrency)

    async def get(self, path: str, headers: Sequence[Headers], *, concurrency: int) -> LoadResult:
        latencies: list[float] = []
        errors: dict[int, int] = {}
        queue = iter(headers)

        async def worker() -> None:
            for request_headers in queue:
                started = time.perf_counter()
                response = await self._http.get(path, headers=request_headers)
                await response.aread()
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors[response.status_code] = errors.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        return LoadResult(requests=len(latencies), seconds=seconds, latencies=latencies, errors=errors)

    async def aclose(self) -> None:
        await self._http.aclose()


def load_client(kind: str, port: int, concurrency: int) -> LoadClient:
    if kind == "raw":
        return RawClient(port)
    if kind == "httpx":
        return HttpxClient(port, concurrency)
    raise ValueError(f"unknown client {kind!r}")
