"""The job outbox: jobs are rows written with the change, refused at once where they could not be kept, delivered
by a relay even when the process that queued them is gone, and deferred (not lost) while their tenant is suspended.
Runs on the suite's broker (Redis when REDIS_URL is set, else memory) with a real worker."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from celery import Celery
from fastapi import FastAPI
from sqlalchemy import select

from core import jobs
from core.db import Database
from core.outbox import OutboxJob, OutboxStatus
from core.settings import Settings
from tenants.context import tenant_session
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT, context_of, new_marker, observed
from workers.app import dispatcher_of
from workers.relay import OutboxRelay


async def wait_for(marker: str, count: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + TIMEOUT
    while len(observed[marker]) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return observed[marker]


async def outbox_row(database: Database, job_id: uuid.UUID) -> OutboxJob | None:
    async with database.public_session() as db:
        return await db.get(OutboxJob, job_id)


async def test_enqueue_refuses_at_once_on_a_database_built_without_the_outbox(
    settings: Settings, tenant_a: TenantHandle, database: Database
) -> None:
    bare = Database(settings.db)
    tenant = await context_of(database, tenant_a)
    try:
        async with tenant_session(bare, tenant) as db:
            with pytest.raises(jobs.JobsNotConfigured, match=r"tests\.observe"):
                jobs.enqueue(db, "tests.observe", marker=new_marker())
    finally:
        await bare.dispose()


async def test_a_job_is_a_row_of_its_transaction(database: Database, tenant_a: TenantHandle) -> None:
    tenant = await context_of(database, tenant_a)
    async with tenant_session(database, tenant) as db:
        rolled_back = jobs.enqueue(db, "tests.observe", marker=new_marker())
        await db.rollback()
        committed = jobs.enqueue(db, "tests.observe", marker=new_marker())
        await db.commit()
    assert rolled_back.id is not None
    assert committed.id is not None
    assert await outbox_row(database, rolled_back.id) is None
    row = await outbox_row(database, committed.id)
    assert row is not None
    assert (row.name, row.tenant_id) == ("tests.observe", tenant.id)


async def test_a_committed_job_is_delivered_by_another_relay_when_its_process_died_before_relaying(
    app: FastAPI, settings: Settings, celery_worker: Celery, database: Database, tenant_a: TenantHandle
) -> None:
    session_relay = app.state.commerce.relay
    session_relay.stop()  # as if the process that queued the job died right after its commit
    try:
        tenant = await context_of(database, tenant_a)
        marker = new_marker()
        async with tenant_session(database, tenant) as db:
            job = jobs.enqueue(db, "tests.observe", marker=marker)
            await db.commit()
        assert job.id is not None
        row = await outbox_row(database, job.id)
        assert row is not None
        assert row.status is OutboxStatus.PENDING

        other = OutboxRelay(settings, dispatcher_of(app.state.commerce.celery), app.state.commerce.metrics)
        try:
            result = await asyncio.to_thread(other.relay_due)
        finally:
            other.stop()
        assert result.delivered >= 1
        assert await wait_for(marker, 1) == [(tenant_a.slug, tenant_a.name)]
        delivered = await outbox_row(database, job.id)
        assert delivered is not None
        assert delivered.status is OutboxStatus.DELIVERED
    finally:
        session_relay.start()


async def test_a_suspended_tenants_job_is_deferred_and_runs_when_the_tenant_resumes(
    celery_worker: Celery,
    client: httpx.AsyncClient,
    operator: OperatorHandle,
    database: Database,
    tenant_a: TenantHandle,
) -> None:
    tenant = await context_of(database, tenant_a)
    suspended = await client.post(f"/platform/v1/tenants/{tenant_a.id}/suspend", headers=operator.headers)
    assert suspended.status_code == 200
    marker = new_marker()
    async with tenant_session(database, tenant) as db:
        job = jobs.enqueue(db, "tests.observe", marker=marker)
        await db.commit()
    assert job.id is not None

    # The worker received it, refused to run it for a suspended tenant, and kept it.
    deadline, row = time.monotonic() + TIMEOUT, None
    while time.monotonic() < deadline:
        row = await outbox_row(database, job.id)
        if row is not None and row.status is OutboxStatus.DEFERRED:
            break
        await asyncio.sleep(0.05)
    assert row is not None
    assert row.status is OutboxStatus.DEFERRED
    assert "suspended" in (row.last_error or "")
    assert observed[marker] == []

    resumed = await client.post(f"/platform/v1/tenants/{tenant_a.id}/resume", headers=operator.headers)
    assert resumed.status_code == 200
    assert await wait_for(marker, 1) == [(tenant_a.slug, tenant_a.name)]
    async with database.public_session() as db:
        statuses = (await db.scalars(select(OutboxJob.status).where(OutboxJob.id == job.id))).all()
    assert statuses == [OutboxStatus.DELIVERED]
