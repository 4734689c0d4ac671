"""The asyncio pool hands connections out first come, first served (core.db.FairAsyncQueuePool)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.db import create_async_db_engine
from core.settings import Settings


async def test_a_returned_connection_goes_to_the_oldest_waiter_not_to_a_newcomer(settings: Settings) -> None:
    engine = create_async_db_engine(settings.db.model_copy(update={"pool_size": 1, "max_overflow": 0}))
    order: list[str] = []
    try:
        held = await engine.connect()
        waiting = asyncio.Event()

        async def waiter() -> None:
            waiting.set()
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                order.append("waiter")

        task = asyncio.create_task(waiter())
        await waiting.wait()
        for _ in range(5):  # let the waiter reach the pool's queue (yields, not time)
            await asyncio.sleep(0)
        await held.close()
        # A newcomer asks right after the connection came back, before the woken waiter runs.
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            order.append("newcomer")
        await task
    finally:
        await engine.dispose()

    assert order == ["waiter", "newcomer"]


async def test_a_waiter_that_times_out_leaves_the_queue_and_loses_no_connection(settings: Settings) -> None:
    db = settings.db.model_copy(update={"pool_size": 1, "max_overflow": 0, "pool_timeout_seconds": 0.05})
    engine = create_async_db_engine(db)
    try:
        held = await engine.connect()
        with pytest.raises(PoolTimeout):
            await engine.connect()
        await held.close()
        async with engine.connect() as connection:  # the one connection is still there
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
