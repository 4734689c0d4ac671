"""What every benchmark shares: the throw-away database, settings, statistics and the result table."""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.db import create_sync_db_engine, sqlalchemy_url
from core.embedded import embedded_database_url
from core.settings import AuthSettings, CelerySettings, DatabaseSettings, Environment, Settings
from tenants.fleet import migrate_public
from tests.fixtures import databases

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
EMBEDDED_DATA_DIR = REPO_ROOT / ".data" / "bench"

# The test suite's cheap argon2 (tests/conftest.py): for bulk tenant creation, never for the provisioning median.
CHEAP_ARGON2 = AuthSettings(argon2_time_cost=1, argon2_memory_cost_kib=1024, argon2_parallelism=1)


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the report."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the database ----------------------------------------------------------------------------------


def server_url(explicit: str | None) -> str:
    """``--database-url``, else ``BENCH_DATABASE_URL``, else the local server, else the embedded one."""
    configured = explicit or os.environ.get("BENCH_DATABASE_URL")
    if configured:
        return sqlalchemy_url(configured)
    engine = create_engine(DEFAULT_SERVER_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return DEFAULT_SERVER_URL
    except OperationalError:
        log(f"no PostgreSQL at {DEFAULT_SERVER_URL}; starting the embedded one under {EMBEDDED_DATA_DIR}")
        return embedded_database_url(EMBEDDED_DATA_DIR)
    finally:
        engine.dispose()


@contextmanager
def bench_database(server: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh ``commerce_bench_<random>`` database with ``public`` migrated; dropped afterwards."""
    url = make_url(server)
    name = f"commerce_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        databases.create_database(connection, url, name)  # on a Citus coordinator, on every node
    database_url = url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_sync_db_engine(DatabaseSettings(url=database_url))
        try:
            migrate_public(engine)
        finally:
            engine.dispose()
        yield database_url
    finally:
        if keep:
            log(f"kept database {name}")
        else:
            with admin.connect() as connection:
                databases.drop_database(connection, url, name)  # and its tenants' roles
        admin.dispose()


def bench_settings(
    database_url: str, *, pool_size: int = 5, max_overflow: int = 5, auth: AuthSettings = CHEAP_ARGON2
) -> Settings:
    """Settings for the bench's apps and services. Jobs go to Celery's in-memory broker: never to a shared Redis
    (``REDIS_URL``), where a worker could pick them up and send mail."""
    return Settings(
        environment=Environment.TEST,
        db=DatabaseSettings(url=database_url, pool_size=pool_size, max_overflow=max_overflow),
        auth=auth,
        celery=CelerySettings(broker_url="memory://", result_backend="cache+memory://"),
    )


# --- child processes ------------------------------------------------------------------------------

# Where the benchmark's child processes keep their bytecode. This environment may set
# PYTHONDONTWRITEBYTECODE=1 and uv installs without .pyc files, so every new interpreter would
# otherwise compile FastAPI, pydantic and SQLAlchemy from source (several seconds of CPU).
# A prefix outside the work tree leaves the repository untouched.
PYCACHE_PREFIX = Path(tempfile.gettempdir()) / "commerce-bench-pycache"


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment of a child interpreter: bytecode cached under ``PYCACHE_PREFIX``, as a deployment has it."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_PREFIX)
    env.update(overrides)
    return env


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# --- statistics ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in [0, 1]) of a non-empty sample."""
    if not values:
        raise ValueError("percentile of an empty sample")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process (Linux ``/proc``), or None where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (all CPUs; ``/proc/stat``), or None off Linux."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle, iowait = fields[3], fields[4]
    return (sum(fields) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(max_seconds: float, *, threshold: float = 0.25, window: float = 5.0) -> float | None:
    """Wait (at most ``max_seconds``) for a ``window`` in which the machine is busy less than ``threshold``.

    Returns the last busy share seen (None off Linux). For shared machines: a benchmark run on CPUs
    that another test suite saturates measures that suite as much as the product.
    """
    deadline = time.monotonic() + max_seconds
    share: float | None = None
    cpus = os.cpu_count() or 1
    while True:
        before = machine_busy_seconds()
        time.sleep(window)
        after = machine_busy_seconds()
        if before is None or after is None:
            return None
        share = (after - before) / (window * cpus)
        if share < threshold or time.monotonic() >= deadline:
            return share
        if (waited := max_seconds - (deadline - time.monotonic())) < window * 1.5 or int(waited) % 60 < window:
            log(f"machine {share:.0%} busy; waiting for it to quiet down (until {threshold:.0%})")


def backend_cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """CPU time of each readable process among ``pids`` (the PostgreSQL backends of the bench database)."""
    seconds = {pid: process_cpu_seconds(pid) for pid in pids}
    return {pid: value for pid, value in seconds.items() if value is not None}


# --- the report ------------------------------------------------------------------------------------

PASS = "PASS"  # noqa: S105 - a verdict, not a password
GAP = "GAP"
INFO = "info"


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    name: str
    measured: str
    target: str = ""
    verdict: str = INFO


def verdict(ok: bool) -> str:
    return PASS if ok else GAP


def format_table(rows: Sequence[Row]) -> str:
    headers = ("benchmark", "measurement", "measured", "target", "verdict")
    cells = [(r.section, r.name, r.measured, r.target or "-", r.verdict) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), separator, *(line(c) for c in cells)])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def pct(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"
