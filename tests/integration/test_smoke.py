from __future__ import annotations

import httpx

from tests.fixtures.tenants import TenantHandle


async def test_owner_reads_own_shop(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    response = await client.get("/admin/v1/shop", headers=tenant_a.headers)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == tenant_a.name
