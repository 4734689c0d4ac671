from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.customers.models import Customer


async def get(db: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    return await db.get(Customer, customer_id)


async def get_by_email(db: AsyncSession, email: str) -> Customer | None:
    customer: Customer | None = await db.scalar(select(Customer).where(Customer.email == email.lower()))
    return customer
