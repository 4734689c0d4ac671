"""The hot path behind PgBouncer in transaction mode, with ONE server connection for every client.

PgBouncer hands its single PostgreSQL connection to whichever client transaction comes next, so
concurrent requests of two tenants take turns on the same backend, transaction by transaction (an
autocommit read is a transaction of its own). Nothing set by one may be seen by the next: reads are
schema-qualified and carry no state, writes route with ``set_config(..., true)``. PgBouncer 1.18 (Debian)
has no protocol-level prepared statements, so preparation is off (``prepare_threshold`` none).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from api.app import create_app
from core.settings import Settings
from tests.fixtures.http import asgi_client
from tests.fixtures.staff import MakeApiKey
from tests.fixtures.tenants import TenantHandle

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="pgbouncer is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def pgbouncer_url(settings: Settings) -> Iterator[str]:
    url = make_url(settings.db.url)
    if "host" in url.query or not url.host:
        pytest.skip("PgBouncer is placed in front of PostgreSQL over TCP (the embedded server listens on a socket)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        folder.chmod(0o755)
        (folder / "users.txt").write_text(f'"{url.username}" ""\n')
        (folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={url.host or '127.0.0.1'} port={url.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 100\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        for path in folder.iterdir():
            path.chmod(0o644)
        command = ["pgbouncer", str(folder / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]  # PgBouncer refuses to run as root
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert process.poll() is None, "pgbouncer exited"
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.05)
            yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest_asyncio.fixture(loop_scope="session")
async def bounced_app(settings: Settings, pgbouncer_url: str) -> AsyncIterator[FastAPI]:
    db = settings.db.model_copy(update={"url": pgbouncer_url, "prepare_threshold": None, "pool_size": 6})
    app = create_app(settings.model_copy(update={"db": db}), listen_for_tenant_changes=False)
    yield app
    await app.state.commerce.database.dispose()
    await app.state.commerce.auth.close()


async def test_concurrent_tenants_through_one_pgbouncer_server_connection_never_cross(
    bounced_app: FastAPI, tenant_a: TenantHandle, tenant_b: TenantHandle, make_api_key: MakeApiKey
) -> None:
    keys = {t.slug: await make_api_key(t, ["settings:write"]) for t in (tenant_a, tenant_b)}
    async with asgi_client(bounced_app) as http:

        async def read(tenant: TenantHandle, by_key: bool) -> str:
            headers = keys[tenant.slug].headers if by_key else tenant.headers
            response = await http.get("/admin/v1/shop", headers=headers)
            assert response.status_code == 200, response.text
            name: str = response.json()["name"]
            return name

        async def write(tenant: TenantHandle) -> str:
            response = await http.patch("/admin/v1/shop", json={"timezone": "UTC"}, headers=tenant.headers)
            assert response.status_code == 200, response.text
            name: str = response.json()["name"]
            return name

        order = [tenant_a, tenant_b] * 12
        answers = await asyncio.gather(
            *(read(t, i % 3 == 0) for i, t in enumerate(order)), *(write(t) for t in order[:8])
        )

    expected = [t.name for t in order] + [t.name for t in order[:8]]
    assert answers == expected
