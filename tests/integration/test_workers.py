"""The tenant contract of background jobs, proved on a real worker (Redis when REDIS_URL is set, else memory)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from celery import Celery, chain, chord, group
from celery.result import AsyncResult
from sqlalchemy import select

from core import jobs
from core.db import Database, create_sync_db_engine
from core.settings import Settings
from tenants.context import TenantContext, tenant_session
from tenants.ddl import TenantMigrations
from tenants.fleet import FleetMigrator
from tenants.models import Tenant, TenantStatus
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.tenants import MakeTenant, TenantHandle, make_legacy_tenant
from tests.fixtures.workers import TIMEOUT, context_of, new_marker, observed, send


async def wait_for(marker: str, count: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + TIMEOUT
    while len(observed[marker]) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return observed[marker]


async def drained(database: Database, tenant: TenantContext) -> None:
    """Sentinel: queue a job through the outbox now and wait until it has run. One worker runs jobs in the order
    the relay publishes them, oldest first, so every job queued before it has run too (or never will)."""
    marker = new_marker()
    async with tenant_session(database, tenant) as db:
        jobs.enqueue(db, "tests.observe", marker=marker)
        await db.commit()
    assert await wait_for(marker, 1), "the sentinel job never ran"


async def test_tasks_of_two_tenants_interleaved_each_see_only_their_own_rows(
    celery_worker: Celery, database: Database, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    a, b = await context_of(database, tenant_a), await context_of(database, tenant_b)
    marker = new_marker()
    results = [send(celery_worker, "tests.observe", t, marker=marker) for t in [a, b, a, b, b, a]]
    names = [r.get(timeout=TIMEOUT) for r in results]
    assert names == [tenant_a.name, tenant_b.name, tenant_a.name, tenant_b.name, tenant_b.name, tenant_a.name]
    assert sorted(observed[marker]) == sorted(
        [(tenant_a.slug, tenant_a.name)] * 3 + [(tenant_b.slug, tenant_b.name)] * 3
    )


async def test_tenant_survives_a_retry(celery_worker: Celery, database: Database, tenant_a: TenantHandle) -> None:
    marker = new_marker()
    result = send(celery_worker, "tests.flaky_observe", await context_of(database, tenant_a), marker=marker, failures=2)
    assert result.get(timeout=TIMEOUT) == tenant_a.name
    assert observed[marker] == [(tenant_a.slug, tenant_a.name)]


async def test_tenant_survives_a_chain(celery_worker: Celery, database: Database, tenant_a: TenantHandle) -> None:
    marker = new_marker()
    task = celery_worker.signature("tests.observe", kwargs={"marker": marker})
    result = chain(task, task.clone(), task.clone()).apply_async(
        headers={"tenant_id": str((await context_of(database, tenant_a)).id)}
    )
    assert result.get(timeout=TIMEOUT) == tenant_a.name
    assert await wait_for(marker, 3) == [(tenant_a.slug, tenant_a.name)] * 3


async def test_tenant_survives_a_group_and_a_chord(
    celery_worker: Celery, database: Database, tenant_b: TenantHandle
) -> None:
    headers = {"tenant_id": str((await context_of(database, tenant_b)).id)}
    marker = new_marker()
    observe = celery_worker.signature("tests.observe", kwargs={"marker": marker})
    assert (
        group(observe.clone(), observe.clone()).apply_async(headers=headers).get(timeout=TIMEOUT) == [tenant_b.name] * 2
    )
    body = celery_worker.signature("tests.collect", kwargs={"marker": marker})
    assert (
        chord([observe.clone(), observe.clone()], body).apply_async(headers=headers).get(timeout=TIMEOUT)
        == [tenant_b.name] * 2
    )
    assert await wait_for(marker, 5) == [(tenant_b.slug, tenant_b.name)] * 5


async def test_tenant_survives_a_task_sent_from_inside_a_task(
    celery_worker: Celery, database: Database, tenant_a: TenantHandle
) -> None:
    marker = new_marker()
    child_id = send(celery_worker, "tests.spawn", await context_of(database, tenant_a), marker=marker).get(
        timeout=TIMEOUT
    )
    assert AsyncResult(child_id, app=celery_worker).get(timeout=TIMEOUT) == tenant_a.name
    assert observed[marker] == [(tenant_a.slug, tenant_a.name)]


async def test_task_without_a_tenant_header_fails_and_touches_nothing(celery_worker: Celery) -> None:
    marker = new_marker()
    result = send(celery_worker, "tests.observe", None, marker=marker)
    with pytest.raises(Exception, match="tenant") as failure:
        result.get(timeout=TIMEOUT)
    assert type(failure.value).__name__ == "TaskTenantMissing"
    assert observed[marker] == []


async def test_task_for_a_suspended_tenant_fails_and_touches_nothing(
    celery_worker: Celery,
    client: httpx.AsyncClient,
    operator: OperatorHandle,
    database: Database,
    tenant_a: TenantHandle,
) -> None:
    a = await context_of(database, tenant_a)
    await client.post(f"/platform/v1/tenants/{tenant_a.id}/suspend", headers=operator.headers)
    for name, kwargs in [("tests.rename_shop", {"name": "hijacked"}), ("tenants.collect_usage", {})]:
        with pytest.raises(Exception, match="suspended") as failure:
            send(celery_worker, name, a, **kwargs).get(timeout=TIMEOUT)
        assert type(failure.value).__name__ == "TaskTenantUnavailable"
    await client.post(f"/platform/v1/tenants/{tenant_a.id}/resume", headers=operator.headers)
    shop = await client.get("/admin/v1/shop", headers=tenant_a.headers)
    assert shop.json()["name"] == tenant_a.name
    async with database.public_session() as db:
        assert (await db.scalar(select(Tenant.usage_collected_at).where(Tenant.id == a.id))) is None


async def test_unknown_tenant_fails(celery_worker: Celery) -> None:
    ghost = TenantContext(id=uuid.uuid4(), slug="ghost", schema_name="t_ghost", status=TenantStatus.ACTIVE)
    with pytest.raises(Exception, match="does not exist"):
        send(celery_worker, "tests.observe", ghost, marker=new_marker()).get(timeout=TIMEOUT)


async def test_job_queued_in_a_rolled_back_transaction_is_never_delivered(
    celery_worker: Celery, app: object, tenant_a: TenantHandle
) -> None:
    database: Database = app.state.commerce.database  # type: ignore[attr-defined]
    tenant = await context_of(database, tenant_a)
    rolled_back, committed = new_marker(), new_marker()
    async with tenant_session(database, tenant) as db:
        jobs.enqueue(db, "tests.observe", marker=rolled_back)
        await db.rollback()
        jobs.enqueue(db, "tests.observe", marker=committed)
        await db.commit()
    assert await wait_for(committed, 1) == [(tenant_a.slug, tenant_a.name)]
    await drained(database, tenant)
    assert observed[rolled_back] == []


async def test_beat_fan_out_reaches_every_active_tenant_exactly_once(
    celery_worker: Celery,
    client: httpx.AsyncClient,
    operator: OperatorHandle,
    database: Database,
    settings: Settings,
    make_tenant: MakeTenant,
) -> None:
    active, suspended = await make_tenant(), await make_tenant()
    await client.post(f"/platform/v1/tenants/{suspended.id}/suspend", headers=operator.headers)
    behind = await make_legacy_tenant(database)  # active, but its schema is not at this release's head
    async with database.public_session() as db:
        expected = set(
            await db.scalars(
                select(Tenant.slug).where(
                    Tenant.status == TenantStatus.ACTIVE, Tenant.schema_revision == TenantMigrations().head
                )
            )
        )
    marker = new_marker()
    fan_out = celery_worker.send_task(
        "tenants.fan_out", kwargs={"task_name": "tests.observe", "kwargs": {"marker": marker}}
    )
    assert fan_out.get(timeout=TIMEOUT) == len(expected)
    seen = [slug for slug, _ in await wait_for(marker, len(expected))]
    # Sentinel: sent after the fan-out returned, so it queues behind every job it sent (a duplicate included).
    sentinel = new_marker()
    send(celery_worker, "tests.observe", await context_of(database, active), marker=sentinel).get(timeout=TIMEOUT)
    assert sorted(seen) == sorted(expected)
    assert active.slug in seen
    assert suspended.slug not in seen
    assert behind.slug not in seen
    # Leave no tenant behind head for the tests after this one (the fleet is shared).
    engine = create_sync_db_engine(settings.db, pool_size=1)
    try:
        migrator = FleetMigrator(engine)
        assert migrator.run(migrator.plan(slug=behind.slug)).failed == []
    finally:
        engine.dispose()


async def test_fan_out_of_the_usage_job_records_usage_for_active_tenants_only(
    celery_worker: Celery,
    client: httpx.AsyncClient,
    operator: OperatorHandle,
    database: Database,
    make_tenant: MakeTenant,
) -> None:
    active, suspended = await make_tenant(), await make_tenant()
    await client.post(f"/platform/v1/tenants/{suspended.id}/suspend", headers=operator.headers)
    dispatched = celery_worker.send_task("tenants.fan_out", kwargs={"task_name": "tenants.collect_usage"}).get(
        timeout=TIMEOUT
    )
    assert dispatched >= 1
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        async with database.public_session() as db:
            rows = {
                t.slug: t
                for t in await db.scalars(select(Tenant).where(Tenant.slug.in_([active.slug, suspended.slug])))
            }
        if rows[active.slug].usage_collected_at is not None:
            break
        await asyncio.sleep(0.1)
    assert rows[active.slug].active_staff_count == 1
    assert rows[suspended.slug].usage_collected_at is None


async def test_provisioning_sends_the_branded_welcome_mail_through_the_worker(
    celery_worker: Celery, smtp_server: SmtpSink, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant(name="Blue Heron Goods")
    [message] = smtp_server.messages_to(tenant.owner_email)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Blue Heron Goods" in message["Subject"]
    assert "Blue Heron Goods" in text.get_content()
    assert "Blue Heron Goods" in html.get_content()
    assert "Blue Heron Goods" in str(message["From"])
    assert str(message["Reply-To"]) == tenant.owner_email
    assert tenant.owner_password not in text.get_content() + html.get_content()


def test_cli_worker_commands_need_a_broker(settings: Settings) -> None:
    env = {**os.environ, "DATABASE_URL": settings.db.url, "COMMERCE_CELERY__BROKER_URL": "", "REDIS_URL": ""}
    command = [str(Path(sys.executable).with_name("commerce")), "worker"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "no_broker" in result.stderr


async def test_savepoints_neither_deliver_early_nor_drop_the_outer_transactions_jobs(
    celery_worker: Celery, app: object, tenant_a: TenantHandle
) -> None:
    database: Database = app.state.commerce.database  # type: ignore[attr-defined]
    tenant = await context_of(database, tenant_a)
    outer, inside_rolled_back, inside_released = new_marker(), new_marker(), new_marker()
    async with tenant_session(database, tenant) as db:
        jobs.enqueue(db, "tests.observe", marker=outer)
        async with db.begin_nested():
            jobs.enqueue(db, "tests.observe", marker=inside_released)
        await drained(database, tenant)  # another transaction's job, committed and run meanwhile
        assert observed[inside_released] == []  # released savepoint: still waiting for the real commit

        async def queue_then_fail() -> None:
            async with db.begin_nested():
                jobs.enqueue(db, "tests.observe", marker=inside_rolled_back)
                raise RuntimeError("undo this savepoint")

        with pytest.raises(RuntimeError):
            await queue_then_fail()
        await db.commit()
    assert await wait_for(outer, 1) == [(tenant_a.slug, tenant_a.name)]
    assert await wait_for(inside_released, 1) == [(tenant_a.slug, tenant_a.name)]
    await drained(database, tenant)
    assert observed[inside_rolled_back] == []


def test_the_worker_runs_on_the_broker_the_run_asked_for(celery_worker: Celery) -> None:
    """So a run that asks for RabbitMQ (TEST_BROKER_URL, as .ci/run does) or Redis really tests that broker."""
    asked = os.environ.get("TEST_BROKER_URL") or os.environ.get("REDIS_URL") or "memory://"
    with celery_worker.connection_for_write() as connection:
        assert connection.transport.driver_type == {"amqp": "amqp", "redis": "redis"}.get(
            asked.split("://")[0], "memory"
        )
        connection.ensure_connection(max_retries=1)  # and it is reachable
