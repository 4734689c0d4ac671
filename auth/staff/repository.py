from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.staff.models import StaffMember
from core.pagination import after_row


async def get_by_email(db: AsyncSession, email: str) -> StaffMember | None:
    return await db.scalar(select(StaffMember).where(StaffMember.email == email.lower()))


async def get(db: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    return await db.scalar(select(StaffMember).where(StaffMember.id == staff_id))


async def get_active(db: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    return await db.scalar(select(StaffMember).where(StaffMember.id == staff_id, StaffMember.is_active.is_(True)))


async def lock(db: AsyncSession, staff_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, StaffMember]:
    """Lock the members' rows (``FOR UPDATE``, in id order so two lockers never deadlock) and reload them.

    ``populate_existing``: a member this session already loaded (the caller, at authentication) is
    refreshed with the row as it is once the lock is held, not left as it was before waiting.
    """
    query = (
        select(StaffMember)
        .where(StaffMember.id.in_(sorted(set(staff_ids))))
        .order_by(StaffMember.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {member.id: member for member in await db.scalars(query)}


async def list_page(db: AsyncSession, limit: int, *, after: StaffMember | None) -> list[StaffMember]:
    """``limit + 1`` members in creation order (ties broken by id), after the ``after`` member if given."""
    query = select(StaffMember).order_by(StaffMember.created_at, StaffMember.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_row(StaffMember.created_at, StaffMember.id, after))
    return list((await db.scalars(query)).all())


async def count_active(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(StaffMember).where(StaffMember.is_active.is_(True))) or 0
