from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.operators.models import Operator


async def get_by_email(db: AsyncSession, email: str) -> Operator | None:
    return await db.scalar(select(Operator).where(Operator.email == email.lower()))


async def get_active(db: AsyncSession, operator_id: uuid.UUID) -> Operator | None:
    return await db.scalar(select(Operator).where(Operator.id == operator_id, Operator.is_active.is_(True)))
