"""Engines, sessions and the declarative bases; nothing here is created at import.

Two kinds of tables exist:

* ``PublicBase`` tables live in the ``public`` schema and are always schema-qualified, so they can be
  read from inside a tenant transaction too.
* ``TenantBase`` tables are unqualified: they exist once per tenant schema and resolve through the
  transaction-scoped ``search_path`` set by :func:`scope_search_path`.

Routing is per transaction, never per session: every transaction of a scoped session begins with
``BEGIN; SELECT set_config('search_path', <schema>, true)``, sent as one message (one round trip).
Nothing survives COMMIT or ROLLBACK, so a pooled connection cannot carry one tenant's path into
another's transaction (and PgBouncer in transaction mode is safe). A scoped session without a schema
refuses to begin.

Hot reads take a shorter path (:class:`TenantReader`): no transaction at all, every statement
schema-qualified by SQLAlchemy's ``schema_translate_map``, so one statement is one round trip and the
connection carries no routing state whatsoever. ``text()`` is never translated, so raw SQL on a reader
fails ("relation does not exist") instead of reading another schema.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import psycopg
from psycopg import generators, pq
from psycopg import sql as psql
from psycopg.abc import PQGen
from sqlalchemy import Connection, DateTime, Engine, Executable, MetaData, RowMapping, create_engine, event, func
from sqlalchemy import Enum as SAEnum
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util.concurrency import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

from core.clock import utcnow
from core.errors import InvalidSchemaName, NoSchemaScope
from core.settings import DatabaseSettings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PUBLIC_SCHEMA = "public"
SCHEMA_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SCOPE_KEY = "search_path_schema"
_ROLE_KEY = "tenant_role"
ROLE_SUFFIX = "_role"  # a tenant schema's role is its name and this suffix
_TENANT_KEY = "tenant_id"


class PublicBase(DeclarativeBase):
    metadata = MetaData(schema=PUBLIC_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def validate_schema_name(name: str) -> str:
    """Return ``name`` if it is a safe schema identifier, else raise. Never trust a name that skipped this."""
    if not SCHEMA_NAME_PATTERN.fullmatch(name) or name.startswith("pg_") or name == PUBLIC_SCHEMA:
        raise InvalidSchemaName(f"{name!r} is not a valid tenant schema name")
    return name


def quote_schema(name: str) -> str:
    """The schema as a quoted identifier, after validation (the pattern admits no quote characters)."""
    return f'"{validate_schema_name(name)}"'


def tenant_role_name(schema: str) -> str:
    """The database role of a tenant schema (``t_<id>`` -> ``t_<id>_role``): derived, never stored or input."""
    role = validate_schema_name(schema) + ROLE_SUFFIX
    if len(role) > 63:  # PostgreSQL would truncate it silently, and two schemas could share a role
        raise InvalidSchemaName(f"{schema!r} is too long to derive a role name from")
    return role


def sqlalchemy_url(url: str) -> str:
    """Normalise ``postgres://`` / ``postgresql://`` URLs to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _engine_options(settings: DatabaseSettings) -> dict[str, Any]:
    if not settings.url:
        raise ValueError("the database URL is not configured")
    return {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_recycle": settings.pool_recycle_seconds,
        "pool_timeout": settings.pool_timeout_seconds,
        "echo": settings.echo,
        # SQL parameters (emails, names, hashes) never reach logs or Sentry through exception messages.
        "hide_parameters": True,
        "connect_args": {
            "prepare_threshold": settings.prepare_threshold,
            # Every wait on the network is bounded (docs/configuration.md#timeouts): opening a connection, and a
            # peer that vanished (keepalive probes on idle connections, TCP user timeout on unacknowledged data).
            "connect_timeout": settings.connect_timeout_seconds,
            "keepalives": 1,
            "keepalives_idle": _KEEPALIVE_IDLE_SECONDS,
            "keepalives_interval": _KEEPALIVE_INTERVAL_SECONDS,
            "keepalives_count": _KEEPALIVE_COUNT,
            "tcp_user_timeout": int(settings.timeout_seconds * 1000),
        },
    }


_KEEPALIVE_IDLE_SECONDS = 5
_KEEPALIVE_INTERVAL_SECONDS = 2
_KEEPALIVE_COUNT = 3


def create_async_db_engine(settings: DatabaseSettings) -> AsyncEngine:
    engine = create_async_engine(
        sqlalchemy_url(settings.url), poolclass=FairAsyncQueuePool, **_engine_options(settings)
    )
    bound_server_waits(engine.sync_engine, settings)
    return engine


def bound_server_waits(engine: Engine, settings: DatabaseSettings) -> None:
    """Give every new connection of ``engine`` the server-side bounds: statement and idle-in-transaction timeouts.

    Set once per connection (one round trip when it opens), not per transaction. Not for migrations, whose DDL
    may legitimately run long (they have their own lock timeout). Behind PgBouncer in transaction mode a
    session setting lands on whichever server connection was used: set the same values on the role there
    (``ALTER ROLE ... SET statement_timeout``), see docs/configuration.md.
    """
    statement_ms = str(int(settings.timeout_seconds * 1000))
    idle_ms = str(int(settings.idle_in_transaction_timeout_seconds * 1000))

    @event.listens_for(engine, "connect")
    def _set_timeouts(dbapi_connection: Any, connection_record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false)",
                (statement_ms, idle_ms),
            )
        finally:
            cursor.close()
            dbapi_connection.autocommit = autocommit


# What a database outage looks like from here: the driver lost or could not open a connection, a statement
# or lock wait timed out, the pool had no connection to give in time.
DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means the database is unreachable or too slow, not a bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DATABASE_OUTAGES):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class _FairQueue(AsyncAdaptedQueue[Any]):
    """SQLAlchemy's asyncio pool queue, first come, first served.

    ``asyncio.Queue`` wakes the first waiter when a connection comes back but leaves the connection in
    the queue, where any task that asks before the woken one runs takes it; the woken one then waits
    again at the back. Under load (more requests than connections) some requests starve: p99 was 10-15x
    p50 at 64 connections on a pool of 10 (bench/README.md). Here a returned connection is handed to the
    oldest waiter, and nobody takes one while others wait.
    """

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[Any]] = deque()

    def put_nowait(self, item: Any) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if not any(not waiter.done() for waiter in self._waiters):
            with suppress(asyncio.QueueEmpty):
                return self._queue.get_nowait()
        if not block:
            raise Empty()
        return await_(self._wait(deadline=timeout))

    async def _wait(self, *, deadline: float | None) -> Any:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self._waiters.append(waiter)

        def expire() -> None:
            if not waiter.done():
                waiter.set_exception(Empty())

        timer = loop.call_later(deadline, expire) if deadline is not None else None
        try:
            return await waiter
        except asyncio.CancelledError:
            # Cancelled after a connection was handed over: pass it on rather than lose it.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.put_nowait(waiter.result())
            raise
        finally:
            if timer is not None:
                timer.cancel()
            with suppress(ValueError):
                self._waiters.remove(waiter)


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """The asyncio queue pool with connections handed out in the order they were asked for."""

    _queue_class = _FairQueue


def create_sync_db_engine(settings: DatabaseSettings, *, pool_size: int | None = None) -> Engine:
    options = _engine_options(settings)
    if pool_size is not None:
        options.update(pool_size=pool_size, max_overflow=0)
    return create_engine(sqlalchemy_url(settings.url), **options)


class ScopedSession(Session):
    """The sync session class behind every schema-scoped (tenant) session."""


@event.listens_for(ScopedSession, "after_begin")
def scope_search_path(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    schema = session.info.get(_SCOPE_KEY)
    if schema is None:
        raise NoSchemaScope()
    set_transaction_search_path(connection, schema, tenant_role=session.info.get(_ROLE_KEY, True))


def routing_sql(schema: str, *, tenant_role: bool = False) -> psql.Composed:
    """The one statement that routes a transaction to a tenant; nothing it sets outlives the transaction.

    The only place routing SQL is written. With ``tenant_role``, the same statement also switches the
    transaction to the schema's own role (:func:`tenant_role_name`), which can reach that schema and nothing
    of any other tenant: the second wall (docs/tenancy.md#a-database-role-per-tenant), at no extra round trip.
    The schema is validated and passed as a quoted literal (``set_config`` takes no identifier).
    """
    path = psql.Literal(quote_schema(schema))
    if not tenant_role:
        return psql.SQL("SELECT set_config('search_path', {}, true)").format(path)
    role = psql.Literal(tenant_role_name(schema))
    return psql.SQL("SELECT set_config('search_path', {}, true), set_config('role', {}, true)").format(path, role)


def set_transaction_search_path(connection: Connection, schema: str, *, tenant_role: bool = False) -> None:
    """Scope ``search_path`` (and with ``tenant_role`` the role) to ``schema`` until the current transaction ends.

    On psycopg, when the transaction has not started on the server yet (psycopg sends ``BEGIN`` lazily,
    as its own round trip, before the first statement), ``BEGIN`` and the routing go out as one simple
    query: one round trip instead of two. Errors are raised as SQLAlchemy's, so a dead pooled connection
    is invalidated as if a statement had failed.
    """
    driver = connection.connection.driver_connection
    if not isinstance(driver, (psycopg.Connection, psycopg.AsyncConnection)):
        connection.exec_driver_sql(routing_sql(schema, tenant_role=tenant_role).as_string(None))
        return
    begin = driver.pgconn.transaction_status == pq.TransactionStatus.IDLE and not driver.autocommit
    routing = routing_sql(schema, tenant_role=tenant_role)
    statement = (psql.SQL("BEGIN; ") + routing if begin else routing).as_bytes(driver)
    try:
        if isinstance(driver, psycopg.AsyncConnection):
            await_(_send_async(driver, statement))
        else:
            with driver.lock:
                _check(driver.wait(_send(driver.pgconn, statement)))
    except psycopg.Error as exc:
        invalidated = connection.dialect.is_disconnect(cast(Any, exc), connection.connection.dbapi_connection, None)
        if invalidated:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            statement.decode(), None, exc, psycopg.Error, connection_invalidated=invalidated
        ) from exc


def _send(pgconn: pq.abc.PGconn, statement: bytes) -> PQGen[list[pq.abc.PGresult]]:
    pgconn.send_query(statement)
    results: list[pq.abc.PGresult] = yield from generators.execute(pgconn)
    return results


async def _send_async(driver: psycopg.AsyncConnection[Any], statement: bytes) -> None:
    async with driver.lock:
        _check(await driver.wait(_send(driver.pgconn, statement)))


def _check(results: list[pq.abc.PGresult]) -> None:
    for result in results:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise psycopg.errors.error_from_result(result)


class Database:
    """The process's engine and its session factories (one per app, worker or CLI command).

    ``session_info`` is copied into every session's ``info`` (the job dispatcher lives there).
    """

    def __init__(self, settings: DatabaseSettings, *, session_info: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.engine = create_async_db_engine(settings)
        self.session_info = dict(session_info or {})
        self._public = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._scoped = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False, sync_session_class=ScopedSession
        )
        # Same pool; connections checked out through it run each statement in its own transaction.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def public_session(self) -> AsyncIterator[AsyncSession]:
        """A session for shared (public) tables. Tenant tables are unreachable from it."""
        async with self._public(info=dict(self.session_info)) as session:
            yield session

    @asynccontextmanager
    async def scoped_session(
        self, schema: str, *, tenant_id: uuid.UUID | None = None, tenant_role: bool = True
    ) -> AsyncIterator[AsyncSession]:
        """A session whose every transaction is routed to ``schema`` (the schema of tenant ``tenant_id``).

        Its transactions run as the schema's own role (``tenant_role``): only the code that builds a schema
        (provisioning) keeps the runtime role, which owns it.
        """
        validate_schema_name(schema)
        info = {**self.session_info, _SCOPE_KEY: schema, _TENANT_KEY: tenant_id, _ROLE_KEY: tenant_role}
        async with self._scoped(info=info) as session:
            yield session

    def tenant_reader(self, schema: str) -> TenantReader:
        """Reads of ``schema`` outside any transaction: one round trip per statement (see :class:`TenantReader`)."""
        return TenantReader(self._autocommit, validate_schema_name(schema))

    async def dispose(self) -> None:
        await self.engine.dispose()


class TenantReader:
    """The hot read path of one tenant: Core statements, each its own implicit transaction.

    Every statement is schema-qualified at execution (``schema_translate_map`` maps the unqualified
    ``TenantBase`` tables to the tenant's schema): no ``BEGIN``, no ``set_config``, no ``COMMIT``, so one
    statement costs one round trip, and the connection carries no routing state at all (safe through a
    pool of one and PgBouncer in transaction mode). ``PublicBase`` tables keep their ``public`` schema.
    ``text()`` is not translated: raw SQL here finds no tenant table and fails.

    A connection is checked out per statement and returned at once, so a request that also opens a
    tenant session never holds two connections (a pool of one cannot deadlock). Two statements may see
    two snapshots: reads that must agree with each other belong in one statement or in a session.
    Writes that must be atomic with others belong in a session (``TenantSession``); a single-statement
    side effect on a read (an API key's ``last_used_at``) may run here.
    """

    __slots__ = ("_engine", "_translate", "schema")

    def __init__(self, engine: AsyncEngine, schema: str) -> None:
        self._engine = engine
        self.schema = schema
        self._translate = {"schema_translate_map": {None: schema}}

    async def one_or_none(self, statement: Executable, params: Mapping[str, Any] | None = None) -> RowMapping | None:
        """``params`` bind the values of a statement built once (``bindparam``), for statements reused per request."""
        async with self._connect() as connection:
            result = await connection.execute(statement, params, execution_options=self._translate)
            row: RowMapping | None = result.mappings().one_or_none()
            return row

    async def all(self, statement: Executable, params: Mapping[str, Any] | None = None) -> list[RowMapping]:
        async with self._connect() as connection:
            result = await connection.execute(statement, params, execution_options=self._translate)
            return list(result.mappings().all())

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection that prepares nothing while the reader holds it.

        Schema-qualified texts differ per tenant: preparing them would cost a ``Parse`` round trip per
        (tenant, statement, connection), fill psycopg's bounded cache and evict with ``DEALLOCATE``
        round trips, for plans PostgreSQL keeps per schema anyway.
        """
        async with self._engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            threshold = getattr(driver, "prepare_threshold", None)
            if threshold is not None:
                driver.prepare_threshold = None  # type: ignore[union-attr]
            try:
                yield connection
            finally:
                if threshold is not None:
                    driver.prepare_threshold = threshold  # type: ignore[union-attr]


def session_tenant_id(session: AsyncSession) -> uuid.UUID | None:
    """The tenant a scoped session works for (None for public sessions)."""
    tenant_id: uuid.UUID | None = session.sync_session.info.get(_TENANT_KEY)
    return tenant_id


@contextmanager
def scoped_connection(engine: Engine, schema: str) -> Iterator[Connection]:
    """A sync connection in one transaction routed to ``schema`` (migrations, provisioning DDL)."""
    with engine.begin() as connection:
        set_transaction_search_path(connection, schema)
        yield connection


# --- work that must wait for the commit ------------------------------------------------------------

_ON_COMMIT_KEY = "on_commit"


def on_commit(session: Session | AsyncSession, callback: Any) -> None:
    """Run ``callback()`` after the session's transaction commits; drop it if the transaction rolls back.

    Services use this for every side effect outside the database (cache invalidation, queued jobs),
    so a failed unit of work leaves nothing behind.
    """
    sync_session = session.sync_session if isinstance(session, AsyncSession) else session
    if not sync_session.in_transaction():
        # Begin now (no I/O until the first statement) so a rollback before any SQL still drops the callback.
        sync_session.begin()
    # Remember the innermost transaction (the object, not its id(): a freed savepoint's id can be reused by
    # the next one): rolling back a savepoint drops what was queued inside it, and inside savepoints it held.
    innermost = sync_session.get_nested_transaction() or sync_session.get_transaction()
    sync_session.info.setdefault(_ON_COMMIT_KEY, []).append((innermost, callback))


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a released savepoint: the outer transaction may still roll back
        return
    # The transaction is committed: a failing callback must neither undo it nor stop the others.
    for _, callback in session.info.pop(_ON_COMMIT_KEY, []):
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed", extra={"callback": repr(callback)})


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_commit(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        kept = [entry for entry in session.info.get(_ON_COMMIT_KEY, []) if not _inside(entry[0], previous_transaction)]
        session.info[_ON_COMMIT_KEY] = kept
    else:
        session.info.pop(_ON_COMMIT_KEY, None)


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``ancestor`` or was begun inside it (a savepoint released into it)."""
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def str_enum(enum_class: type[StrEnum]) -> SAEnum:
    """Store a ``StrEnum`` as its values in a VARCHAR (no native PostgreSQL enum: those are hard to migrate)."""
    return SAEnum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def created_at_column() -> Mapped[datetime]:
    """Set in Python (so the value is known after flush) and by the server (for rows written in SQL)."""
    return mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now())
