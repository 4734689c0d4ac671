"""Provisioning through PgBouncer in transaction mode with one server connection: the provisioning tests of
tests/integration, here through the pooler, and concurrent provisionings through the API (issue #10 item 2:
a request holds at most one connection at a time, so a pool of one cannot deadlock)."""

from __future__ import annotations

import asyncio

import httpx

from tests.fixtures.auth import OperatorHandle
from tests.fixtures.tenants import tenant_body
from tests.integration.test_provisioning import *  # noqa: F403 - the same tests, through PgBouncer

CONCURRENT = 8


async def test_concurrent_provisionings_through_one_server_connection_all_succeed(
    client: httpx.AsyncClient, operator: OperatorHandle
) -> None:
    bodies = [tenant_body() for _ in range(CONCURRENT)]

    responses = await asyncio.gather(
        *(client.post("/platform/v1/tenants", json=body.model_dump(), headers=operator.headers) for body in bodies)
    )

    assert [r.status_code for r in responses] == [201] * CONCURRENT, [r.text[:200] for r in responses]
    assert [r.json()["tenant"]["status"] for r in responses] == ["active"] * CONCURRENT
