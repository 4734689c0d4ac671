from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.staff.models import StaffMember


async def get_by_email(db: AsyncSession, email: str) -> StaffMember | None:
    return await db.scalar(select(StaffMember).where(StaffMember.email == email.lower()))


async def get_active(db: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    return await db.scalar(select(StaffMember).where(StaffMember.id == staff_id, StaffMember.is_active.is_(True)))


async def count_active(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(StaffMember).where(StaffMember.is_active.is_(True))) or 0
