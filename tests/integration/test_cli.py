"""The `commerce` command: operators, the tenant lifecycle, and the dev bootstrap, run as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from auth.operators import repository as operators_repository
from auth.operators.tokens import Audience, TokenSigner
from cli.serving import ensure_demo
from core.db import Database
from core.jobs import outbox_session_info
from core.settings import AuthSettings, Settings
from tests.fixtures.auth import OperatorHandle


def commerce(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.db.url, "COMMERCE_LOG__LEVEL": "WARNING", "COLUMNS": "200"}
    command = [str(Path(sys.executable).with_name("commerce")), *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def test_operator_created_from_stdin_and_refused_twice(settings: Settings) -> None:
    created = commerce(
        settings, "operators", "create", "Ops@Example.com", "--password-stdin", stdin="a-long-password-1\n"
    )
    assert created.returncode == 0, created.stderr
    assert "operator ops@example.com created" in created.stdout
    again = commerce(
        settings, "operators", "create", "ops@example.com", "--password-stdin", stdin="a-long-password-1\n"
    )
    assert again.returncode == 1
    assert "operator_already_exists" in again.stderr
    weak = commerce(settings, "operators", "create", "weak@example.com", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1
    assert "weak_password" in weak.stderr


def test_tenant_lifecycle_through_the_cli(settings: Settings) -> None:
    created = commerce(
        settings, "tenants", "create", "cli-shop", "--name", "CLI Shop", "--owner-email", "o@cli.example.com"
    )
    assert created.returncode == 0, created.stderr
    assert "one-time password" in created.stdout
    assert '"status": "active"' in created.stdout

    for action, status in [("suspend", "suspended"), ("resume", "active"), ("delete", "deleting")]:
        result = commerce(settings, "tenants", action, "cli-shop")
        assert result.returncode == 0, result.stderr
        assert f'"status": "{status}"' in result.stdout

    purged = commerce(settings, "tenants", "purge", "cli-shop", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert '"status": "deleted"' in purged.stdout

    listed = commerce(settings, "tenants", "list", "--status", "deleted")
    assert "cli-shop" in listed.stdout
    missing = commerce(settings, "tenants", "show", "no-such-shop")
    assert missing.returncode == 1
    assert "tenant_not_found" in missing.stderr
    invalid = commerce(settings, "tenants", "create", "Bad Slug!", "--name", "x", "--owner-email", "o@example.com")
    assert invalid.returncode == 2


async def test_dev_bootstrap_is_idempotent(settings: Settings, tmp_path: Path) -> None:
    dev_settings = settings.model_copy(update={"data_dir": str(tmp_path)})
    first = await ensure_demo(dev_settings, Database(dev_settings.db, session_info=outbox_session_info()))
    second = await ensure_demo(dev_settings, Database(dev_settings.db, session_info=outbox_session_info()))
    assert first == second
    saved = json.loads((tmp_path / "dev-credentials.json").read_text())
    assert saved["operator_email"] == "operator@example.com"
    assert oct((tmp_path / "dev-credentials.json").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("args", [["--help"], ["migrate", "--help"], ["tenants", "--help"]])
def test_help_documents_every_command(settings: Settings, args: list[str]) -> None:
    result = commerce(settings, *args)
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_operator_email_must_be_an_email(settings: Settings) -> None:
    result = commerce(settings, "operators", "create", "not-an-email", "--password-stdin", stdin="a-long-password-1\n")
    assert result.returncode == 2
    assert "invalid_input" in result.stderr


def _without_secret_settings(settings: Settings, **extra: str) -> dict[str, str]:
    """A shell where nobody set COMMERCE_ENVIRONMENT or a secret key: the built-in development key applies."""
    env = {k: v for k, v in os.environ.items() if k not in ("COMMERCE_ENVIRONMENT", "COMMERCE_AUTH__SECRET_KEY")}
    return {**env, "DATABASE_URL": settings.db.url, "COMMERCE_LOG__LEVEL": "WARNING", **extra}


async def test_serve_refuses_the_development_key_so_a_forged_operator_token_never_works(
    settings: Settings, database: Database, operator: OperatorHandle
) -> None:
    async with database.public_session() as db:
        found = await operators_repository.get_by_email(db, operator.email)
    assert found is not None
    forged = TokenSigner(AuthSettings()).issue(subject=found.id, audience=Audience.PLATFORM).access_token
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("commerce")),
        *("serve", "--port", str(port)),
        env=_without_secret_settings(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while server.returncode is None and time.monotonic() < deadline:
            try:  # if it serves after all, the forged token must still be refused
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                    answer = await http.get("/platform/v1/tenants", headers={"authorization": f"Bearer {forged}"})
                assert answer.status_code == 401, "a token forged with the public development key was accepted"
                break
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    finally:
        if server.returncode is None:
            server.terminate()
        _, stderr = await asyncio.wait_for(server.communicate(), timeout=30)

    assert server.returncode == 2
    assert "development_secret_key" in stderr.decode()


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_worker_and_beat_refuse_the_development_key(settings: Settings, command: str) -> None:
    # A broker nobody listens on: the command must stop before it ever tries it.
    env = _without_secret_settings(settings, REDIS_URL="redis://127.0.0.1:1/0")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("commerce")), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "development_secret_key" in result.stderr
