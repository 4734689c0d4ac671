"""The per-process cache of verified tenant credentials, and its invalidation.

Every tenant request presents a credential (a staff token, an API key, an OAuth access token). Looking
each one up costs a query; most requests present one verified seconds ago. So a verified credential's
principal is kept here, keyed by (tenant, surface, keyed hash of the secret): a token of another tenant
hashes differently and never meets this tenant's entries, and a secret presented on another surface
(a staff token on the storefront) is a different key.

Revocation stays immediate. Whatever can make a credential unusable (revocation, logout, refresh
rotation, deactivation, a role change, an API key's roll or revocation, a client's revocation) calls
:func:`credentials_changed` in its transaction: at commit, this process forgets the tenant's entries,
and every other process does when PostgreSQL's ``NOTIFY`` reaches its listener
(``tenants.resolution.listen_for_changes``: milliseconds). Without a listener (no LISTEN through
PgBouncer in transaction mode, and no direct ``COMMERCE_DB__LISTEN_URL``), or while it reconnects, an
entry lives at most ``COMMERCE_AUTH__CREDENTIAL_CACHE_TTL_SECONDS`` (and never past the credential's own
expiry): that is the bound on a revoked credential still being accepted. Failed look-ups are not cached.

A look-up that started before a change and ends after the change was announced here does not store its
(possibly stale) answer: every ``forget`` moves an epoch that ``put`` checks.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from core.clock import utcnow
from core.db import session_tenant_id
from tenants.resolution import announce_data_change, watch_changes

CREDENTIALS_TOPIC = "credentials"


class Surface(StrEnum):
    """Where a credential was presented; the same secret on another surface is another entry."""

    STAFF = "staff"
    API_KEY = "api_key"  # pragma: allowlist secret - a surface name
    STOREFRONT = "storefront"


_Key = tuple[uuid.UUID, Surface, bytes]
# What a look-up returns: the principal and when the credential expires on its own (None: never).
Verified = tuple[Principal, datetime | None]


class CredentialCache:
    def __init__(self, *, ttl_seconds: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[_Key, tuple[float, Principal]] = OrderedDict()
        self._epoch = 0
        watch_changes(CREDENTIALS_TOPIC, self)

    async def verify(
        self, tenant_id: uuid.UUID, surface: Surface, secret_hash: bytes, load: Callable[[], Awaitable[Verified | None]]
    ) -> Principal | None:
        """The cached principal of this credential, else ``load()``'s (cached if the credential is live)."""
        key = (tenant_id, surface, secret_hash)
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] > self._clock():
                return entry[1]
            del self._entries[key]
        epoch = self._epoch
        verified = await load()
        if verified is None:
            return None
        principal, expires_at = verified
        self._put(key, principal, expires_at, epoch)
        return principal

    def _put(self, key: _Key, principal: Principal, expires_at: datetime | None, epoch: int) -> None:
        if self._ttl <= 0 or epoch != self._epoch:  # disabled, or a change was announced during the look-up
            return
        now = self._clock()
        deadline = now + self._ttl
        if expires_at is not None:
            deadline = min(deadline, now + (expires_at - utcnow()).total_seconds())
        self._entries[key] = (deadline, principal)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, tenant_id: uuid.UUID | None) -> None:
        self._epoch += 1
        if tenant_id is None:
            self._entries.clear()
            return
        for key in [key for key in self._entries if key[0] == tenant_id]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


async def credentials_changed(db: AsyncSession) -> None:
    """Call in a tenant transaction that can make a credential of the tenant unusable, or change its scopes."""
    tenant_id = session_tenant_id(db)
    if tenant_id is None:
        raise RuntimeError("credentials change only in a tenant's session")
    await announce_data_change(db, CREDENTIALS_TOPIC, tenant_id)
