"""core.db.on_commit: side effects run once, after the real commit, and never for work that was rolled back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, on_commit
from tests.fixtures.tenants import TenantHandle


class Undo(Exception):
    pass


async def _failing_savepoint(db: AsyncSession, inside: Callable[[], None] = lambda: None) -> None:
    async with db.begin_nested():
        inside()
        raise Undo


async def test_runs_after_commit_and_never_after_rollback(database: Database, tenant_a: TenantHandle) -> None:
    ran: list[str] = []
    async with database.scoped_session(tenant_a.schema_name) as db:
        on_commit(db, lambda: ran.append("committed"))
        assert ran == []
        await db.commit()
    async with database.scoped_session(tenant_a.schema_name) as db:
        on_commit(db, lambda: ran.append("rolled back"))
        await db.rollback()
        await db.commit()  # a later commit of the same session runs nothing left over
    assert ran == ["committed"]


async def test_savepoints_keep_their_callbacks_until_the_real_commit(
    database: Database, tenant_a: TenantHandle
) -> None:
    ran: list[str] = []
    async with database.scoped_session(tenant_a.schema_name) as db:
        async with db.begin_nested():
            on_commit(db, lambda: ran.append("released"))
        assert ran == []  # released into the outer transaction, which may still roll back
        with pytest.raises(Undo):
            await _failing_savepoint(db, lambda: on_commit(db, lambda: ran.append("rolled back")))
        await db.commit()
    assert ran == ["released"]


async def test_a_savepoint_released_into_one_that_rolls_back_is_dropped(
    database: Database, tenant_a: TenantHandle
) -> None:
    ran: list[str] = []
    async with database.scoped_session(tenant_a.schema_name) as db:

        async def inner_released_then_outer_fails() -> None:
            async with db.begin_nested():
                async with db.begin_nested():
                    on_commit(db, lambda: ran.append("inner, released into the outer savepoint"))
                raise Undo  # the outer savepoint rolls back, and the inner one's work with it

        with pytest.raises(Undo):
            await inner_released_then_outer_fails()
        on_commit(db, lambda: ran.append("outer transaction"))
        await db.commit()
    assert ran == ["outer transaction"]


async def test_rolled_back_savepoints_never_drop_an_earlier_released_ones_callback(
    database: Database, tenant_a: TenantHandle
) -> None:
    """Savepoints come and go by the hundred in one transaction; their identities must never be confused."""
    ran: list[str] = []
    async with database.scoped_session(tenant_a.schema_name) as db:
        async with db.begin_nested():
            on_commit(db, lambda: ran.append("released"))
        for _ in range(200):
            with pytest.raises(Undo):
                await _failing_savepoint(db)
        await db.commit()
    assert ran == ["released"]
