from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.grants.models import Token
from auth.staff.models import StaffMember
from core.db import TenantReader


async def get_by_access_hash(db: AsyncSession, access_hash: bytes) -> Token | None:
    token: Token | None = await db.scalar(select(Token).where(Token.access_token_hash == access_hash))
    return token


async def get_live_staff_credential(reader: TenantReader, access_hash: bytes, *, now: datetime) -> RowMapping | None:
    """The live staff token's family and expiry, with its active member's id and role: one statement, only
    the columns the credential check needs (every admin request on a cache miss asks)."""
    tokens, members = Token.__table__, StaffMember.__table__
    return await reader.one_or_none(
        select(tokens.c.family_id, tokens.c.access_expires_at, members.c.id.label("staff_id"), members.c.role)
        .join_from(tokens, members, members.c.id == tokens.c.staff_id)
        .where(
            tokens.c.access_token_hash == access_hash,
            tokens.c.revoked_at.is_(None),
            tokens.c.access_expires_at > now,
            members.c.is_active.is_(True),
        )
    )


async def get_by_refresh_hash(db: AsyncSession, refresh_hash: bytes, *, lock: bool = False) -> Token | None:
    query = select(Token).where(Token.refresh_token_hash == refresh_hash)
    if lock:  # two concurrent refreshes of one token: the second waits, then sees it rotated (reuse)
        query = query.with_for_update()
    token: Token | None = await db.scalar(query)
    return token


async def revoke_families(db: AsyncSession, *conditions: object, at: datetime) -> int:
    """Revoke every token of every family that has a token matching the conditions."""
    families = select(Token.family_id).where(*conditions)  # type: ignore[arg-type]
    result = await db.execute(
        update(Token)
        .where(Token.family_id.in_(families), Token.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


def family_condition(family_id: uuid.UUID) -> object:
    return Token.family_id == family_id
