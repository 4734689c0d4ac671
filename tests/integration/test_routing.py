"""Transaction-scoped routing: one pooled connection serves many tenants and carries nothing between them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from auth.staff.models import StaffMember
from core.db import Database, ScopedSession
from core.errors import NoSchemaScope
from core.settings import Settings
from tests.fixtures.http import asgi_client
from tests.fixtures.tenants import TenantHandle


@pytest_asyncio.fixture(loop_scope="session")
async def single_connection_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db": settings.db.model_copy(update={"pool_size": 1, "max_overflow": 0})})


@pytest_asyncio.fixture(loop_scope="session")
async def one_connection_client(single_connection_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on a pool of exactly one connection: every request reuses the same backend."""
    app: FastAPI = create_app(single_connection_settings, listen_for_tenant_changes=False)
    async with asgi_client(app) as http:
        yield http
    await app.state.commerce.database.dispose()


async def test_two_tenants_through_one_connection_each_see_only_their_own_shop(
    one_connection_client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    for tenant in [tenant_a, tenant_b, tenant_a, tenant_b, tenant_b, tenant_a]:
        response = await one_connection_client.get("/admin/v1/shop", headers=tenant.headers)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == tenant.name


async def test_failed_request_rolls_back_and_the_next_tenant_is_not_affected(
    one_connection_client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    # A's request reads and locks its shop, then fails its precondition: the transaction rolls back.
    failed = await one_connection_client.patch(
        "/admin/v1/shop", json={"name": "never saved"}, headers={**tenant_a.headers, "if-match": '"999"'}
    )
    assert failed.status_code == 412
    assert failed.json()["code"] == "version_mismatch"

    after_b = await one_connection_client.get("/admin/v1/shop", headers=tenant_b.headers)
    after_a = await one_connection_client.get("/admin/v1/shop", headers=tenant_a.headers)
    assert after_b.json()["name"] == tenant_b.name
    assert after_a.json()["name"] == tenant_a.name


async def test_search_path_does_not_survive_commit_or_rollback(
    single_connection_settings: Settings, tenant_a: TenantHandle
) -> None:
    database = Database(single_connection_settings.db)
    try:
        async with database.public_session() as db:
            default_path = await db.scalar(text("SHOW search_path"))
        async with database.scoped_session(tenant_a.schema_name) as db:
            assert await db.scalar(text("SHOW search_path")) == f'"{tenant_a.schema_name}"'
            await db.commit()
        async with database.public_session() as db:
            assert await db.scalar(text("SHOW search_path")) == default_path
        async with database.scoped_session(tenant_a.schema_name) as db:
            with pytest.raises(ProgrammingError):
                await db.execute(text("SELECT * FROM no_such_table"))
            await db.rollback()
        async with database.public_session() as db:
            assert await db.scalar(text("SHOW search_path")) == default_path
            assert tenant_a.schema_name not in default_path
    finally:
        await database.dispose()


async def test_tenant_table_outside_any_tenant_scope_fails_instead_of_reading(
    database: Database, tenant_a: TenantHandle
) -> None:
    async with database.public_session() as db:
        with pytest.raises(ProgrammingError, match="does not exist"):
            await db.execute(select(StaffMember))


async def test_scoped_session_without_a_schema_refuses_to_begin(database: Database) -> None:
    async with AsyncSession(database.engine, sync_session_class=ScopedSession) as session:
        with pytest.raises(NoSchemaScope):
            await session.execute(text("SELECT 1"))
