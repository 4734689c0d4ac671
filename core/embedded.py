"""The embedded PostgreSQL (``pgserver``) used by the dev server and by tests when no URL is configured.

Development only: the server lives under the data directory, listens on a Unix socket there, and
is shared by every process that asks for the same directory.
"""

from __future__ import annotations

from pathlib import Path


def embedded_database_url(data_dir: str | Path, *, database: str = "postgres") -> str:
    """Start (or reuse) the embedded server under ``data_dir/postgres`` and return a psycopg URL for it."""
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "no database configured and the embedded PostgreSQL is not installed: set DATABASE_URL "
            "or install the 'embedded' extra (uv sync installs it for development)"
        ) from exc
    path = Path(data_dir).resolve() / "postgres"
    path.mkdir(parents=True, exist_ok=True)
    pgserver.get_server(path, cleanup_mode=None)  # type: ignore[attr-defined]  # None: keep serving after this process exits
    return f"postgresql+psycopg://postgres@/{database}?host={path}"
