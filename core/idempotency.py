"""Idempotency keys: the storage and the rules (Stripe's semantics); ``api.idempotency`` applies them to requests.

A key is scoped to a credential (a hash of what authenticated the request) and, through the table it lives
in, to the tenant: each tenant schema has its own ``idempotency_keys`` table, the platform surface uses
``public.idempotency_keys``. The first response to a key is stored and replayed until the key expires.

Concurrency, in one round trip (:func:`claim`): the statement takes a transaction-scoped advisory lock on
the key with ``pg_try_advisory_xact_lock`` (never waits: a holder means the key is in flight, 409) and, holding
it, inserts the key's row in the caller's transaction. The row and the lock both belong to that transaction:
a crash or a rollback removes them, so a failed request never blocks its key, and the response is written
(:func:`complete`) in the same transaction as the handler's own writes, so the writes never commit without
the key. The insert uses ``ON CONFLICT``, which sees rows committed after the statement's snapshot was taken:
a request that got the lock just as the previous holder committed finds the stored row, never a gap.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import PublicBase, TenantBase
from core.errors import IdempotencyKeyInUse, IdempotencyKeyReused

KEY_MAX_LENGTH = 255
# What a key may be: 1 to 255 visible ASCII characters (a UUID, a ULID, an order reference...).
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
SWEEP_BATCH = 1000


class _IdempotencyKeyColumns:
    """One row per (credential, key). ``status_code`` NULL: claimed by a transaction not yet committed."""

    credential: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the credential
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 hex of method, path and body
    status_code: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSONB)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class TenantIdempotencyKey(_IdempotencyKeyColumns, TenantBase):
    """The keys of a tenant's surfaces (/admin/v1, /storefront/v1), in the tenant's schema."""

    __tablename__ = "idempotency_keys"


class PlatformIdempotencyKey(_IdempotencyKeyColumns, PublicBase):
    """The keys of the platform surface (/platform/v1)."""

    __tablename__ = "idempotency_keys"


KeyTable = type[TenantIdempotencyKey] | type[PlatformIdempotencyKey]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class Outcome(enum.Enum):
    CLAIMED = "claimed"  # the caller runs the request, then completes or releases the key
    REPLAY = "replay"  # the key's first response, to send again


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Outcome
    stored: StoredResponse | None = None


def credential_hash(*parts: str) -> str:
    """The scope of a key: a hash of what authenticated the request (never stored in clear)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def fingerprint(method: str, target: str, body: bytes) -> str:
    """What makes two requests "the same": method, path with query, and the body.

    A JSON body counts by its content, not its spelling (key order, spacing), so a client that serialises the
    same parameters again is not refused; any other body counts byte for byte.
    """
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(f"{method.upper()} {target}\x00".encode())
    digest.update(canonical)
    return digest.hexdigest()


def _lock_id(namespace: str, credential: str, key: str) -> int:
    """A signed 64-bit advisory lock id for the key (the lock space is database-wide: the namespace, a tenant's
    schema or "public", keeps tenants apart)."""
    digest = hashlib.sha256(f"idempotency\x00{namespace}\x00{credential}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def claim(
    db: AsyncSession,
    table: KeyTable,
    *,
    namespace: str,
    credential: str,
    key: str,
    request_fingerprint: str,
    now: datetime,
    ttl: timedelta,
    response: StoredResponse | None = None,
) -> Claim:
    """Take ``key`` for this transaction, or say why not. One round trip when the key is new.

    Raises :class:`IdempotencyKeyInUse` while another transaction holds it, :class:`IdempotencyKeyReused` when
    its stored request differs. A row past its expiry, or never completed, counts as absent (it is taken over). With
    ``response``, the row is written complete at once (a response stored after the handler's rollback).
    """
    lock = select(func.pg_try_advisory_xact_lock(_lock_id(namespace, credential, key)).label("locked")).cte("lock")
    values: dict[str, Any] = {
        "credential": credential,
        "key": key,
        "fingerprint": request_fingerprint,
        "status_code": response.status_code if response else None,
        "headers": [list(pair) for pair in response.headers] if response else None,
        "body": response.body if response else None,
        "created_at": now,
        "expires_at": now + ttl,
    }
    columns = [getattr(table, name) for name in values]
    source = select(*(literal(value, column.type) for value, column in zip(values.values(), columns, strict=True)))
    statement = insert(table).from_select(list(values), source.where(lock.c.locked))
    taken = (
        statement.on_conflict_do_update(
            index_elements=[table.credential, table.key],
            set_={name: statement.excluded[name] for name in values if name not in ("credential", "key")},
            # Expired, or left unfinished: a request that committed part of its work before answering (tenant
            # provisioning) released the lock with its row still open, then failed. Holding the lock, we take it.
            where=(table.expires_at <= now) | table.status_code.is_(None),
        )
        .returning(table.key)
        .cte("taken")
    )
    locked, inserted = (await db.execute(select(lock.c.locked, exists(select(taken.c.key))))).one()
    if not locked:
        raise IdempotencyKeyInUse()
    if inserted:
        return Claim(Outcome.CLAIMED)
    row = (
        await db.execute(
            select(table.fingerprint, table.status_code, table.headers, table.body).where(
                table.credential == credential, table.key == key
            )
        )
    ).one_or_none()
    if row is None or row.status_code is None:  # swept, or its request committed early and runs on: retry later
        raise IdempotencyKeyInUse()
    if row.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused()
    headers = [(name, value) for name, value in (row.headers or [])]
    return Claim(Outcome.REPLAY, StoredResponse(row.status_code, headers, row.body or b""))


async def complete(db: AsyncSession, table: KeyTable, *, credential: str, key: str, response: StoredResponse) -> None:
    """Store the response of a claimed key, in the claiming transaction."""
    await db.execute(
        update(table)
        .where(table.credential == credential, table.key == key)
        .values(status_code=response.status_code, headers=[list(pair) for pair in response.headers], body=response.body)
    )


async def release(db: AsyncSession, table: KeyTable, *, credential: str, key: str) -> None:
    """Give a claimed key up in a transaction that commits anyway (a response that is not stored)."""
    await db.execute(delete(table).where(table.credential == credential, table.key == key))


async def sweep(db: AsyncSession, table: KeyTable, *, now: datetime) -> int:
    """Delete up to :data:`SWEEP_BATCH` expired keys; returns how many (the caller loops while it is a full batch).

    Rows a request is taking over right now are locked by it and skipped, not waited for.
    """
    expired = (
        select(table.credential, table.key)
        .where(table.expires_at <= now)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)
        .cte("expired")
    )
    result = await db.execute(
        delete(table).where(table.credential == expired.c.credential, table.key == expired.c.key).returning(table.key)
    )
    return len(result.all())
