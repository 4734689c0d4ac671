"""Which tenant a request is for, decided from its host or ``X-Tenant`` header, failing closed.

Order: a custom domain (``tenant_domains``), then a subdomain of the configured base domain
(``acme.shop.example.com``), then the ``X-Tenant`` header (a slug). Lookups are cached in-process:
tenants found for ``cache_ttl_seconds``, misses for a shorter ``negative_cache_ttl_seconds`` in a cache
of their own, so unknown hosts (anyone can send any) neither query the registry on every request nor
push real tenants out. A tenant change clears the caches of this process at commit and, through
PostgreSQL ``NOTIFY``, of every other process that listens.

The same channel carries changes to data that other layers cache per tenant (the credential cache of
``auth.credentials``): the payload ``<topic>:<tenant id>`` makes every process call ``forget(tenant_id)``
on the caches that watch that topic (``watch_changes``); a bare tenant id is a registry change.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Protocol

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, on_commit
from core.settings import TenancySettings
from tenants import repository
from tenants.context import TenantContext
from tenants.errors import (
    InvalidTenantIdentifier,
    TenantNotFound,
    TenantProvisioning,
    TenantRequired,
    TenantSuspended,
)
from tenants.models import Tenant, TenantStatus
from tenants.schemas import RESERVED_SLUGS, SLUG_PATTERN

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "commerce_tenant_changed"
_SLUG = re.compile(SLUG_PATTERN)
_HOST = re.compile(r"^[a-z0-9.-]{1,253}$")

_Key = tuple[str, str]


class TenantCache:
    """A bounded LRU of lookups with a TTL (the resolver keeps one for tenants, one for misses). Only this module
    writes to it. ``clock`` is injected so tests move time instead of sleeping."""

    def __init__(self, *, ttl_seconds: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[_Key, tuple[float, TenantContext | None]] = OrderedDict()
        _live_caches.add(self)

    def get(self, key: _Key) -> tuple[bool, TenantContext | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < self._clock():
            return False, None
        self._entries.move_to_end(key)
        return True, entry[1]

    def put(self, key: _Key, value: TenantContext | None) -> None:
        if self._ttl <= 0:
            return
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_live_caches: weakref.WeakSet[TenantCache] = weakref.WeakSet()


def clear_local_caches() -> None:
    for cache in list(_live_caches):
        cache.clear()


class TenantDataCache(Protocol):
    def forget(self, tenant_id: uuid.UUID | None) -> None:
        """Drop what is cached for ``tenant_id`` (None: for every tenant)."""


_watchers: dict[str, weakref.WeakSet[TenantDataCache]] = {}


def watch_changes(topic: str, cache: TenantDataCache) -> None:
    """Have ``cache.forget(tenant_id)`` called whenever ``announce_data_change(db, topic, tenant_id)`` commits."""
    _watchers.setdefault(topic, weakref.WeakSet()).add(cache)


def _forget(topic: str, tenant_id: uuid.UUID | None) -> None:
    for cache in list(_watchers.get(topic, ())):
        cache.forget(tenant_id)


def _forget_everything() -> None:
    clear_local_caches()
    for topic in list(_watchers):
        _forget(topic, None)


async def announce_data_change(db: AsyncSession, topic: str, tenant_id: uuid.UUID) -> None:
    """Call in the transaction that changes ``topic`` data of a tenant: its watchers forget that tenant,
    in this process at commit and in every listening process when the ``NOTIFY`` arrives."""
    await db.execute(select(func.pg_notify(CHANGES_CHANNEL, f"{topic}:{tenant_id}")))
    on_commit(db, partial(_forget, topic, tenant_id))


def _on_notification(payload: str) -> None:
    topic, separator, key = payload.partition(":")
    if not separator:  # a registry change: the payload is the tenant id
        clear_local_caches()
        return
    try:
        tenant_id: uuid.UUID | None = uuid.UUID(key)
    except ValueError:
        tenant_id = None  # unreadable: forget the whole topic rather than keep something stale
    _forget(topic, tenant_id)


async def announce_change(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Call in the transaction that changes a tenant: caches everywhere drop it once that transaction commits.

    Changes are rare, so every cache is cleared whole: a domain added to a tenant must also drop the
    cached miss for that host, which a per-tenant invalidation would keep.
    """
    await db.execute(select(func.pg_notify(CHANGES_CHANNEL, str(tenant_id))))
    on_commit(db, clear_local_caches)


_PROBE_PREFIX = "probe:"


async def listen_for_changes(
    database_url: str, *, probe_timeout_seconds: float = 5.0, prepared_statements: bool = False
) -> None:
    """Clear this process's caches whenever another process announces a tenant change. Runs until cancelled.

    On each (re)connection it sends itself a notification through another connection: behind a transaction-mode
    pooler ``LISTEN`` succeeds but hears nothing, and the only sign is that this probe never arrives. Then it
    warns loudly (other processes' changes apply only when cached entries expire), and, with
    ``prepared_statements`` (psycopg's automatic preparation on), says that PgBouncer older than 1.21 breaks it.
    """
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
                await connection.execute(f"LISTEN {CHANGES_CHANNEL}")
                _forget_everything()  # anything may have changed while we were not listening
                probe, heard = f"{_PROBE_PREFIX}{uuid.uuid4()}", asyncio.Event()
                checking = asyncio.create_task(
                    _check_delivery(url, probe, heard, probe_timeout_seconds, prepared_statements)
                )
                try:
                    async for notification in connection.notifies():
                        if notification.payload == probe:
                            heard.set()
                        elif not notification.payload.startswith(_PROBE_PREFIX):  # others' probes change nothing
                            _on_notification(notification.payload)
                finally:
                    checking.cancel()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("tenant change listener lost its connection; retrying", exc_info=True)
            await asyncio.sleep(1.0)


async def _check_delivery(
    url: str, probe: str, heard: asyncio.Event, timeout_seconds: float, prepared_statements: bool
) -> None:
    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as sender:
            await sender.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, probe))
        await asyncio.wait_for(heard.wait(), timeout_seconds)
    except TimeoutError:
        log.warning(
            "tenant change notifications are not arriving (is the database URL a transaction-mode pooler such as "
            "PgBouncer?): other processes' tenant changes, a suspension included, apply here only when cached "
            "lookups expire (COMMERCE_TENANCY__CACHE_TTL_SECONDS). Set COMMERCE_DB__LISTEN_URL to a direct "
            "PostgreSQL URL."
            + (
                " Prepared statements are on (COMMERCE_DB__PREPARE_THRESHOLD): PgBouncer older than 1.21, or without "
                "max_prepared_statements, fails some queries with 'prepared statement ... already exists'; set "
                "COMMERCE_DB__PREPARE_THRESHOLD=none there."
                if prepared_statements
                else ""
            )
        )
    except Exception:  # the listener's own loop reports connection trouble
        log.debug("tenant change delivery check failed", exc_info=True)
    else:
        log.info("tenant change listener is receiving notifications")


class TenantResolver:
    def __init__(
        self, database: Database, settings: TenancySettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._database = database
        self._settings = settings
        self._base_suffix = "." + settings.base_domain.lower().strip(".") if settings.base_domain else None
        self._in_flight: dict[_Key, asyncio.Future[TenantContext | None]] = {}
        self.cache = TenantCache(
            ttl_seconds=settings.cache_ttl_seconds, max_entries=settings.cache_max_entries, clock=clock
        )
        # Misses apart: a flood of made-up hosts fills this one, never the tenants' cache.
        self.misses = TenantCache(
            ttl_seconds=settings.negative_cache_ttl_seconds,
            max_entries=settings.negative_cache_max_entries,
            clock=clock,
        )

    async def resolve(self, *, host: str | None, header_slug: str | None) -> TenantContext:
        """The tenant this request is for, if it may be served; else the problem to answer with."""
        tenant = await self._lookup(host, header_slug)
        if tenant is None:
            raise TenantNotFound()
        return self.check_status(tenant)

    def _may_be_custom_domain(self, hostname: str) -> bool:
        """Custom domains are names outside the platform's base domain (never IP literals)."""
        if self._base_suffix and (hostname.endswith(self._base_suffix) or "." + hostname == self._base_suffix):
            return False
        try:
            ipaddress.ip_address(hostname)
        except ValueError:
            return True
        return False

    def check_status(self, tenant: TenantContext) -> TenantContext:
        match tenant.status:
            case TenantStatus.ACTIVE:
                return tenant
            case TenantStatus.SUSPENDED:
                raise TenantSuspended()
            case TenantStatus.PROVISIONING:
                raise TenantProvisioning(retry_after=self._settings.provisioning_retry_after_seconds)
            case _:
                # deleting, deleted, failed: as if it never existed.
                raise TenantNotFound()

    async def _lookup(self, host: str | None, header_slug: str | None) -> TenantContext | None:
        """The first of: the host's custom domain, the host's subdomain, the X-Tenant slug.

        A host that names no tenant (the API's own host, say) falls through to the header.
        """
        hostname = _hostname(host)
        names_a_tenant = False
        if hostname is not None:
            by_domain = await self._cached(("host", hostname)) if self._may_be_custom_domain(hostname) else None
            if by_domain is not None:
                return by_domain
            if self._base_suffix and hostname.endswith(self._base_suffix):
                label = hostname[: -len(self._base_suffix)]
                names_a_tenant = bool(_SLUG.fullmatch(label)) and label not in RESERVED_SLUGS
                by_subdomain = await self._cached(("slug", label)) if names_a_tenant else None
                if by_subdomain is not None:
                    return by_subdomain
        if header_slug is None:
            if names_a_tenant:
                return None
            raise TenantRequired()
        slug = header_slug.strip().lower()
        if not _SLUG.fullmatch(slug):
            raise InvalidTenantIdentifier("X-Tenant must be a tenant slug (lowercase letters, digits, hyphens)")
        return await self._cached(("slug", slug))

    async def _cached(self, key: _Key) -> TenantContext | None:
        hit, value = self.cache.get(key)
        if hit:
            return value
        if self.misses.get(key)[0]:
            return None
        # Single flight: concurrent misses on one key share one registry query.
        pending = self._in_flight.get(key)
        if pending is None:
            pending = self._in_flight[key] = asyncio.ensure_future(self._load(key))
            pending.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(pending)

    async def _load(self, key: _Key) -> TenantContext | None:
        async with self._database.public_session() as db:
            found: Tenant | None
            if key[0] == "host":
                found = await repository.get_by_host(db, key[1])
            else:
                found = await repository.get_by_slug(db, key[1])
            value = TenantContext.of(found) if found else None
        if value is None:
            self.misses.put(key, None)
        else:
            self.cache.put(key, value)
        return value


def _hostname(host: str | None) -> str | None:
    """The lowercase host name without port, or None when absent or not a plausible host name."""
    if not host:
        return None
    name = host.strip().lower()
    if name.startswith("["):  # IPv6 literal: never a tenant host
        return None
    name = name.rsplit(":", 1)[0] if ":" in name else name
    name = name.rstrip(".")
    return name if _HOST.fullmatch(name) else None
