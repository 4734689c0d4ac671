"""Request size limits: bodies in the app (413 problem), request heads in the server `commerce serve` runs (431)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from api.server import uvicorn_options
from cli import serving
from cli.main import app as commerce
from core.settings import AuthSettings, HttpSettings, Settings
from tests.fixtures.http import asgi_client
from tests.fixtures.oauth import origin
from tests.fixtures.tenants import TenantHandle

TOO_BIG = b'{"email": "a@example.com", "password": "' + b"x" * 1_100_000 + b'"}'


async def test_a_body_over_the_limit_is_a_413_problem(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post(
        "/platform/v1/auth/token", content=TOO_BIG, headers={"content-type": "application/json"}
    )

    assert settings.http.max_body_bytes < len(TOO_BIG)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["max_bytes"] == settings.http.max_body_bytes


async def test_a_chunked_body_over_the_limit_is_a_413_problem(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what is read
        for start in range(0, len(TOO_BIG), 65_536):
            yield TOO_BIG[start : start + 65_536]

    response = await client.post(
        "/admin/v1/auth/token",
        content=chunks(),
        headers={"content-type": "application/json", "x-tenant": tenant_a.slug},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_an_oauth_form_over_the_limit_is_a_413_problem(app: object, tenant_a: TenantHandle) -> None:
    async with asgi_client(app, origin(tenant_a)) as http:
        response = await http.post("/oauth/token", data={"client_id": "x" * 1_100_000})

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_body_within_the_limit_is_read(client: httpx.AsyncClient) -> None:
    body = b'{"email": "nobody@example.com", "password": "' + b"x" * 300 + b'"}'
    response = await client.post("/platform/v1/auth/token", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422  # read and validated (the password is too long), not refused for its size


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(len(scope["headers"])).encode()})


LIMITS = HttpSettings(max_header_bytes=8_192, max_headers=50)


@pytest.fixture
def served() -> Iterator[int]:
    """A real uvicorn server on loopback with the options `commerce serve` uses (and small limits)."""
    options = uvicorn_options(LIMITS)
    options.pop("log_config")
    config = uvicorn.Config(_hello, host="127.0.0.1", port=0, lifespan="off", log_level="warning", **options)
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    for _ in range(500):  # bounded: until the server has started
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _exchange(port: int, head: bytes, *, trickle: int = 0) -> bytes:
    """Send a request head (then ``trickle`` more bytes of one header value, if any) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            conn.sendall(head)
            for _ in range(trickle // 65_536):
                conn.sendall(b"a" * 65_536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending: what we want to see
        answer = b""
        try:
            while chunk := conn.recv(65_536):
                answer += chunk
                if b"\r\n\r\n" in answer and (b"connection: close" in answer or answer.startswith(b"HTTP/1.1 200")):
                    break
        except ConnectionResetError:
            pass
    return answer


def test_the_server_answers_ordinary_requests(served: int) -> None:
    answer = _exchange(served, b"GET / HTTP/1.1\r\nhost: localhost\r\nx-one: 1\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 200")


def test_a_huge_header_is_refused_with_431_before_it_is_all_received(served: int) -> None:
    # 16 MB announced, trickled: the server must stop at its limit, not buffer the whole header.
    answer = _exchange(served, b"GET / HTTP/1.1\r\nhost: localhost\r\nx-big: ", trickle=16 * 1_048_576)

    assert answer.startswith(b"HTTP/1.1 431")
    assert b'"code": "headers_too_large"' in answer


def test_too_many_headers_are_refused_with_431(served: int) -> None:
    headers = b"".join(b"x-h%d: 1\r\n" % i for i in range(LIMITS.max_headers + 1))
    answer = _exchange(served, b"GET / HTTP/1.1\r\nhost: localhost\r\n" + headers + b"\r\n")

    assert answer.startswith(b"HTTP/1.1 431")


def test_many_small_headers_within_the_limits_pass(served: int) -> None:
    headers = b"".join(b"x-h%d: 1\r\n" % i for i in range(LIMITS.max_headers - 1))
    answer = _exchange(served, b"GET / HTTP/1.1\r\nhost: localhost\r\n" + headers + b"\r\n")

    assert answer.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_serve_and_dev_run_uvicorn_with_the_head_limits(
    command: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    # A broker URL, never contacted (nothing is served): `dev` would otherwise start an in-process Celery worker,
    # and one per process is all kombu's in-memory transport allows (the worker tests need theirs).
    celery = settings.celery.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    command_settings = settings.model_copy(
        update={"auth": AuthSettings(secret_key=SecretStr("k" * 40)), "celery": celery}
    )
    monkeypatch.setattr(serving, "load_settings", lambda **_: command_settings)
    monkeypatch.setattr(serving, "migrate_all", lambda *args, **kwargs: None)
    monkeypatch.setattr(serving, "ensure_demo", _no_demo)
    monkeypatch.setattr(serving, "_print_quickstart", lambda *args: None)

    result = CliRunner().invoke(commerce, [command, "--port", "1"])

    assert result.exit_code == 0, result.output
    protocol = ran["http"]
    assert isinstance(protocol, type)
    assert protocol.__name__ == "LimitedHttpToolsProtocol"


async def _no_demo(*args: object) -> dict[str, str]:
    return {"operator_email": "operator@example.com"}
