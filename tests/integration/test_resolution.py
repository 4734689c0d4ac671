"""Resolving requests to tenants: by host and header, status answers, injection attempts, cache invalidation."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import update

from core.db import Database
from tenants.models import Tenant, TenantStatus
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.tenants import MakeTenant, TenantHandle

PROBLEM = "application/problem+json"


def _bearer(tenant: TenantHandle) -> dict[str, str]:
    return {"authorization": f"Bearer {tenant.token}"}


async def _set_status(database: Database, tenant: TenantHandle, status: TenantStatus) -> None:
    """Arrange a status the API cannot reach directly (provisioning), bypassing the service on purpose."""
    async with database.public_session() as db:
        await db.execute(update(Tenant).where(Tenant.id == uuid.UUID(tenant.id)).values(status=status))
        await db.commit()


async def test_subdomain_of_the_base_domain_selects_the_tenant(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    response = await client.get("/admin/v1/shop", headers={"host": f"{tenant_a.slug}.localhost", **_bearer(tenant_a)})
    assert response.status_code == 200
    assert response.json()["name"] == tenant_a.name


async def test_custom_domain_selects_the_tenant_and_wins_over_the_header(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    host = f"shop-{uuid.uuid4().hex[:8]}.example.com"
    # Looked up once as a miss, so the domain's addition must also clear cached misses.
    missing = await client.get("/admin/v1/shop", headers={"host": host, **_bearer(tenant_a)})
    assert missing.status_code == 400
    added = await client.post(
        f"/platform/v1/tenants/{tenant_a.id}/domains", json={"host": host}, headers=operator.headers
    )
    assert added.status_code == 201, added.text

    response = await client.get(
        "/admin/v1/shop", headers={"host": host, "x-tenant": tenant_b.slug, **_bearer(tenant_a)}
    )
    assert response.status_code == 200
    assert response.json()["name"] == tenant_a.name


async def test_unknown_tenant_is_a_404_problem(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    response = await client.get("/admin/v1/shop", headers={"x-tenant": "no-such-shop", **_bearer(tenant_a)})
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "tenant_not_found"


async def test_unknown_subdomain_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/v1/shop", headers={"host": "no-such-shop.localhost"})
    assert response.status_code == 404
    assert response.json()["code"] == "tenant_not_found"


async def test_request_naming_no_tenant_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/v1/shop")
    assert response.status_code == 400
    assert response.json()["code"] == "tenant_required"


async def test_suspended_tenant_is_a_403_problem_at_once_and_resumes(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    assert (await client.get("/admin/v1/shop", headers=tenant_a.headers)).status_code == 200  # now cached

    suspended = await client.post(f"/platform/v1/tenants/{tenant_a.id}/suspend", headers=operator.headers)
    assert suspended.json()["status"] == "suspended"
    response = await client.get("/admin/v1/shop", headers=tenant_a.headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "tenant_suspended"

    await client.post(f"/platform/v1/tenants/{tenant_a.id}/resume", headers=operator.headers)
    assert (await client.get("/admin/v1/shop", headers=tenant_a.headers)).status_code == 200


async def test_provisioning_tenant_is_a_503_with_retry_after(
    client: httpx.AsyncClient, database: Database, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    await _set_status(database, tenant, TenantStatus.PROVISIONING)
    client_app = client._transport.app  # type: ignore[attr-defined]
    client_app.state.commerce.resolver.cache.clear()

    response = await client.get("/admin/v1/shop", headers=tenant.headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "tenant_provisioning"


async def test_soft_deleted_tenant_is_gone(
    client: httpx.AsyncClient, operator: OperatorHandle, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    deleted = await client.delete(f"/platform/v1/tenants/{tenant.id}", headers=operator.headers)
    assert deleted.json()["status"] == "deleting"
    response = await client.get("/admin/v1/shop", headers=tenant.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "tenant_not_found"


@pytest.mark.parametrize(
    "slug",
    ['acme"; DROP SCHEMA public CASCADE; --', "../public", "ACME!", "a" * 64, "public.tenants", "t_x y"],
)
async def test_schema_injection_through_the_header_is_rejected(client: httpx.AsyncClient, slug: str) -> None:
    response = await client.get("/admin/v1/shop", headers={"x-tenant": slug})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_tenant_identifier"


@pytest.mark.parametrize("host", ['evil";drop.localhost', "public.tenants", "x'--.localhost", "[::1]:8000"])
async def test_schema_injection_through_the_host_names_no_tenant(client: httpx.AsyncClient, host: str) -> None:
    response = await client.get("/admin/v1/shop", headers={"host": host})
    assert response.status_code in {400, 404}
    assert response.json()["code"] in {"tenant_required", "tenant_not_found"}


@pytest.mark.parametrize("slug", ['acme"; DROP SCHEMA public; --', "Acme", "-acme", "api", "a_b", ""])
async def test_schema_injection_through_the_slug_is_rejected(
    client: httpx.AsyncClient, operator: OperatorHandle, slug: str
) -> None:
    body = {"slug": slug, "name": "Evil", "owner_email": "owner@example.com"}
    response = await client.post("/platform/v1/tenants", json=body, headers=operator.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


async def test_a_slug_looked_up_before_it_existed_resolves_once_provisioned(
    client: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    slug = f"early-{uuid.uuid4().hex[:8]}"
    before = await client.get("/admin/v1/shop", headers={"x-tenant": slug})
    assert before.json()["code"] == "tenant_not_found"  # and now cached as a miss
    tenant = await make_tenant(slug=slug)
    response = await client.get("/admin/v1/shop", headers=tenant.headers)
    assert response.status_code == 200
