"""The platform API for tenants: create, list, read, update, lifecycle, and the fleet summary."""

from __future__ import annotations

import httpx

from tests.fixtures.auth import OperatorHandle
from tests.fixtures.tenants import MakeTenant, TenantHandle, tenant_body


async def test_create_returns_the_tenant_and_a_working_one_time_owner_password(
    client: httpx.AsyncClient, operator: OperatorHandle
) -> None:
    body = tenant_body()
    response = await client.post("/platform/v1/tenants", json=body.model_dump(), headers=operator.headers)
    assert response.status_code == 201
    created = response.json()
    assert created["tenant"]["status"] == "active"
    assert created["tenant"]["slug"] == body.slug
    assert created["tenant"]["schema_revision"] is not None
    login = await client.post(
        "/admin/v1/auth/token",
        json={"email": body.owner_email, "password": created["owner"]["password"]},
        headers={"x-tenant": body.slug},
    )
    assert login.status_code == 200


async def test_duplicate_slug_is_a_409(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    body = tenant_body(slug=tenant_a.slug).model_dump()
    response = await client.post("/platform/v1/tenants", json=body, headers=operator.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "tenant_slug_taken"


async def test_platform_endpoints_need_an_operator_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/platform/v1/tenants", json=tenant_body().model_dump())
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_operator_login_with_a_wrong_password_is_refused(
    client: httpx.AsyncClient, operator: OperatorHandle
) -> None:
    response = await client.post("/platform/v1/auth/token", json={"email": operator.email, "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_list_pages_through_every_tenant_once_in_creation_order(
    client: httpx.AsyncClient, operator: OperatorHandle, make_tenant: MakeTenant
) -> None:
    created = [await make_tenant() for _ in range(3)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"starting_after": cursor} if cursor else {})}
        page = (await client.get("/platform/v1/tenants", params=params, headers=operator.headers)).json()
        assert len(page["data"]) <= 2
        seen += [t["id"] for t in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert len(seen) == len(set(seen))
    ids = [t.id for t in created]
    assert [i for i in seen if i in ids] == ids


async def test_list_filters_by_status(
    client: httpx.AsyncClient, operator: OperatorHandle, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    await client.post(f"/platform/v1/tenants/{tenant.id}/suspend", headers=operator.headers)
    page = (
        await client.get("/platform/v1/tenants", params={"status": "suspended", "limit": 100}, headers=operator.headers)
    ).json()
    assert tenant.id in [t["id"] for t in page["data"]]
    assert {t["status"] for t in page["data"]} == {"suspended"}


async def test_bad_cursor_and_bad_filter_are_422(client: httpx.AsyncClient, operator: OperatorHandle) -> None:
    for params in ({"starting_after": "not-an-id"}, {"starting_after": "00000000-0000-0000-0000-000000000000"}):
        response = await client.get("/platform/v1/tenants", params=params, headers=operator.headers)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_cursor"
    response = await client.get("/platform/v1/tenants", params={"status": "sleeping"}, headers=operator.headers)
    assert response.status_code == 422


async def test_update_with_a_stale_if_match_is_a_412_and_changes_nothing(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    current = await client.get(f"/platform/v1/tenants/{tenant_a.id}", headers=operator.headers)
    etag = current.headers["etag"]
    updated = await client.patch(
        f"/platform/v1/tenants/{tenant_a.id}", json={"name": "Renamed"}, headers={**operator.headers, "if-match": etag}
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "Renamed"
    stale = await client.patch(
        f"/platform/v1/tenants/{tenant_a.id}",
        json={"name": "Lost update"},
        headers={**operator.headers, "if-match": etag},
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "version_mismatch"
    after = await client.get(f"/platform/v1/tenants/{tenant_a.id}", headers=operator.headers)
    assert after.json()["name"] == "Renamed"


async def test_update_refuses_null_for_required_fields(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    response = await client.patch(f"/platform/v1/tenants/{tenant_a.id}", json={"name": None}, headers=operator.headers)
    assert response.status_code == 422


async def test_lifecycle_transitions_that_make_no_sense_are_409(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    resumed = await client.post(f"/platform/v1/tenants/{tenant_a.id}/resume", headers=operator.headers)
    assert resumed.status_code == 409
    assert resumed.json()["code"] == "invalid_tenant_transition"
    await client.delete(f"/platform/v1/tenants/{tenant_a.id}", headers=operator.headers)
    suspended = await client.post(f"/platform/v1/tenants/{tenant_a.id}/suspend", headers=operator.headers)
    assert suspended.status_code == 409


async def test_unknown_tenant_id_is_a_404_and_a_malformed_one_is_a_422(
    client: httpx.AsyncClient, operator: OperatorHandle
) -> None:
    missing = await client.get("/platform/v1/tenants/00000000-0000-0000-0000-000000000000", headers=operator.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "tenant_not_found"
    malformed = await client.get("/platform/v1/tenants/acme", headers=operator.headers)
    assert malformed.status_code == 422


async def test_custom_domains_are_unique_and_cannot_shadow_the_base_domain(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    url_a, url_b = f"/platform/v1/tenants/{tenant_a.id}/domains", f"/platform/v1/tenants/{tenant_b.id}/domains"
    host = f"{tenant_a.slug}.shops.example.org"
    assert (await client.post(url_a, json={"host": host}, headers=operator.headers)).status_code == 201
    taken = await client.post(url_b, json={"host": host.upper()}, headers=operator.headers)
    assert taken.status_code == 409
    assert taken.json()["code"] == "tenant_domain_taken"
    reserved = await client.post(url_b, json={"host": f"{tenant_a.slug}.localhost"}, headers=operator.headers)
    assert reserved.status_code == 422
    listed = await client.get(url_a, headers=operator.headers)
    assert [d["host"] for d in listed.json()] == [host]
    assert (await client.delete(f"{url_a}/{host}", headers=operator.headers)).status_code == 204
    assert (await client.delete(f"{url_a}/{host}", headers=operator.headers)).status_code == 404


async def test_migration_summary_counts_tenants_at_head(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle
) -> None:
    summary = (await client.get("/platform/v1/migrations", headers=operator.headers)).json()
    assert summary["tenants_total"] >= 1
    assert summary["at_head"] + summary["behind"] == summary["tenants_total"]
    assert sum(r["tenants"] for r in summary["by_revision"]) == summary["tenants_total"]
