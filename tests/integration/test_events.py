"""The event log: one event per committed change, in the change's transaction, numbered in commit order."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from commerce.events import service as events_service
from commerce.events.models import Event
from commerce.events.schemas import NewEvent
from core.db import Database
from tests.fixtures.tenants import TenantHandle

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _count(database: Database, tenant: TenantHandle, resource_id: uuid.UUID) -> int:
    async with database.scoped_session(tenant.schema_name) as db:
        return await db.scalar(select(func.count()).select_from(Event).where(Event.resource_id == resource_id)) or 0


async def test_a_rolled_back_transaction_leaves_no_event(database: Database, tenant_a: TenantHandle) -> None:
    resource_id = uuid.uuid4()
    async with database.scoped_session(tenant_a.schema_name) as db:
        await events_service.record(db, type="product.created", resource_id=resource_id, version=1, data={"a": 1})
        await db.rollback()
    async with database.scoped_session(tenant_a.schema_name) as db:
        sequence = await events_service.record(db, type="product.created", resource_id=resource_id, version=1, data={})
        await db.commit()
    assert await _count(database, tenant_a, resource_id) == 1
    assert sequence == 1, "the rolled-back event consumed no sequence number"


async def test_sequences_are_consecutive_in_commit_order_under_concurrency(
    database: Database, tenant_a: TenantHandle
) -> None:
    resource_id = uuid.uuid4()

    async def write(index: int) -> None:
        async with database.scoped_session(tenant_a.schema_name) as db:
            await events_service.record(
                db, type="product.updated", resource_id=resource_id, version=index, data={"i": index}
            )
            await db.commit()

    await asyncio.gather(*(write(index) for index in range(8)))
    async with database.scoped_session(tenant_a.schema_name) as db:
        await events_service.record_many(
            db, [NewEvent("variant.created", resource_id, 1, {}), NewEvent("variant.updated", resource_id, 2, {})]
        )
        await db.commit()
        sequences = list(await db.scalars(select(Event.sequence).order_by(Event.sequence)))
    assert sequences == list(range(1, 11))
