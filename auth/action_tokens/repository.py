from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.action_tokens.models import ActionToken, Purpose


async def get_by_hash(db: AsyncSession, token_hash: bytes) -> ActionToken | None:
    token: ActionToken | None = await db.scalar(
        select(ActionToken).where(ActionToken.token_hash == token_hash).with_for_update()
    )
    return token


async def spend_outstanding(db: AsyncSession, purpose: Purpose, subject_id: uuid.UUID, *, at: datetime) -> None:
    await db.execute(
        update(ActionToken)
        .where(ActionToken.purpose == purpose, ActionToken.subject_id == subject_id, ActionToken.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
