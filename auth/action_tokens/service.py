"""Single-use tokens sent by mail (staff invitations, password resets).

The token is created by the job that mails it, never earlier: it exists in clear only in that mail,
not in the database, the broker or a log. A new token for the same purpose and person spends the
previous ones, so only the latest mail works.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth.action_tokens import repository
from auth.action_tokens.models import ActionToken, Purpose
from auth.errors import InvalidActionToken
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, new_secret
from core.clock import utcnow


async def issue(
    db: AsyncSession,
    auth: AuthRuntime,
    tenant_id: uuid.UUID,
    purpose: Purpose,
    subject_id: uuid.UUID,
    *,
    ttl_seconds: int,
) -> str:
    now = utcnow()
    await repository.spend_outstanding(db, purpose, subject_id, at=now)
    token = new_secret(SecretKind.ACTION)
    db.add(
        ActionToken(
            purpose=purpose,
            subject_id=subject_id,
            token_hash=auth.hasher.hash(token, tenant_id=tenant_id),
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    await db.flush()
    return token


async def consume(db: AsyncSession, auth: AuthRuntime, tenant_id: uuid.UUID, purpose: Purpose, token: str) -> uuid.UUID:
    """Spend the token and return whom it acts for; an unknown, used, expired or other-purpose token is refused."""
    row: ActionToken | None = await repository.get_by_hash(db, auth.hasher.hash(token, tenant_id=tenant_id))
    now = utcnow()
    if row is None or row.purpose is not purpose or row.used_at is not None or row.expires_at <= now:
        raise InvalidActionToken()
    row.used_at = now
    await db.flush()
    return row.subject_id


async def revoke_outstanding(db: AsyncSession, purpose: Purpose, subject_id: uuid.UUID) -> None:
    """Spend every unused token of ``purpose`` for ``subject_id``: links already mailed stop working."""
    await repository.spend_outstanding(db, purpose, subject_id, at=utcnow())
