"""The embedded PostgreSQL (``pgserver``) used by the dev server and by tests when no URL is configured.

Development only: the server lives under the data directory, listens on a Unix socket there, and
is shared by every process that asks for the same directory.
"""

from __future__ import annotations

from pathlib import Path

_STOP_TIMEOUT_SECONDS = 30


def _server_directory(data_dir: str | Path) -> Path:
    return Path(data_dir).resolve() / "postgres"


def embedded_database_url(data_dir: str | Path, *, database: str = "postgres") -> str:
    """Start (or reuse) the embedded server under ``data_dir/postgres`` and return a psycopg URL for it."""
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "no database configured and the embedded PostgreSQL is not installed: set DATABASE_URL "
            "or install the 'embedded' extra (uv sync installs it for development)"
        ) from exc
    path = _server_directory(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    pgserver.get_server(path, cleanup_mode=None)  # type: ignore[attr-defined]  # None: keep serving after this process exits
    return f"postgresql+psycopg://postgres@/{database}?host={path}"


def stop_embedded_server(data_dir: str | Path) -> bool:
    """Stop the embedded server under ``data_dir`` (fast shutdown: open sessions are closed). False if none ran."""
    path = _server_directory(data_dir)
    if not (path / "postmaster.pid").exists():
        return False
    import os
    import subprocess

    import pgserver

    # pgserver runs PostgreSQL as its own system user when started by root (PostgreSQL refuses root).
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pgserver.pg_ctl(["-w", "-t", str(_STOP_TIMEOUT_SECONDS), "stop", "-m", "fast"], pgdata=path, user=user)  # type: ignore[attr-defined]
    except subprocess.CalledProcessError:
        if (path / "postmaster.pid").exists():
            raise
        return False  # a stale pid file of a server that was no longer running
    return True
