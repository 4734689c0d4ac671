"""Merchant API keys through /admin/v1/api-keys: shown once, hashed at rest, scoped, rolled, revoked, tenant-bound."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import text, update

from auth.api_keys.models import ApiKey
from auth.credentials import credentials_changed
from auth.secrets import SecretHasher
from core.clock import utcnow
from core.db import Database
from core.settings import Settings
from tenants.context import tenant_session
from tests.fixtures.staff import MakeApiKey, MakeStaff, bearer
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import context_of


async def test_a_new_key_is_shown_once_and_listed_without_its_secret(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    created = await client.post(
        "/admin/v1/api-keys",
        json={"name": "ERP sync", "scopes": ["orders:read", "orders:read"]},
        headers=tenant_a.headers,
    )

    assert created.status_code == 201
    key = created.json()
    assert key["secret"].startswith("sk_")
    assert len(key["secret"]) == 3 + 43
    assert key["last_four"] == key["secret"][-4:]
    assert key["scopes"] == ["orders:read"]
    assert key["last_used_at"] is None
    listed = await client.get("/admin/v1/api-keys", headers=tenant_a.headers)
    assert listed.status_code == 200
    [entry] = [k for k in listed.json()["data"] if k["id"] == key["id"]]
    assert "secret" not in entry
    assert key["secret"] not in listed.text
    assert entry == {k: v for k, v in key.items() if k != "secret"}


async def test_only_a_keyed_hash_of_the_secret_is_stored(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    make_api_key: MakeApiKey,
) -> None:
    key = await make_api_key(tenant_a, ["settings:read"])
    tenant = await context_of(database, tenant_a)

    async with tenant_session(database, tenant) as db:
        [row] = (
            await db.execute(text("SELECT k::text, k.secret_hash FROM api_keys k WHERE id = :id"), {"id": key.id})
        ).all()

    as_text, stored_hash = row
    assert key.secret not in as_text
    assert key.secret.encode().hex() not in as_text
    assert key.secret[3:] not in as_text
    assert bytes(stored_hash) == SecretHasher(settings.auth).hash(key.secret, tenant_id=tenant.id)


async def test_a_key_works_within_its_scopes_and_names_the_scope_it_lacks(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key = await make_api_key(tenant_a, ["settings:read"])

    read = await client.get("/admin/v1/shop", headers=key.headers)
    write = await client.patch("/admin/v1/shop", json={"name": "Hijacked"}, headers=key.headers)
    other = await client.get("/admin/v1/staff", headers=key.headers)

    assert read.status_code == 200
    assert read.json()["name"] == tenant_a.name
    for response, scope in [(write, "settings:write"), (other, "staff:read")]:
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
        assert response.json()["required_scope"] == scope
        assert response.headers["www-authenticate"] == f'Bearer error="insufficient_scope", scope="{scope}"'
    assert (await client.get("/admin/v1/shop", headers=tenant_a.headers)).json()["name"] == tenant_a.name


async def test_write_implies_read(client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey) -> None:
    key = await make_api_key(tenant_a, ["settings:write"])

    assert (await client.get("/admin/v1/shop", headers=key.headers)).status_code == 200
    assert (
        await client.patch("/admin/v1/shop", json={"timezone": "Europe/Paris"}, headers=key.headers)
    ).status_code == 200


async def test_use_is_recorded(client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey) -> None:
    key = await make_api_key(tenant_a, ["settings:read"])
    before = utcnow()

    assert (await client.get("/admin/v1/shop", headers=key.headers)).status_code == 200

    [listed] = [
        k
        for k in (await client.get("/admin/v1/api-keys", headers=tenant_a.headers)).json()["data"]
        if k["id"] == key.id
    ]
    assert listed["last_used_at"] is not None
    assert datetime.fromisoformat(listed["last_used_at"]) >= before


async def test_an_expired_key_is_refused(
    client: httpx.AsyncClient, database: Database, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key = await make_api_key(tenant_a, ["settings:read"], expires_at=(utcnow() + timedelta(days=1)).isoformat())
    assert (await client.get("/admin/v1/shop", headers=key.headers)).status_code == 200
    async with tenant_session(database, await context_of(database, tenant_a)) as db:
        await db.execute(update(ApiKey).where(ApiKey.id == key.id).values(expires_at=utcnow() - timedelta(seconds=1)))
        # A change made behind the services' back announces itself, as theirs do (auth.credentials: else the
        # credential cache keeps the key valid until its cached expiry, a day away here).
        await credentials_changed(db)
        await db.commit()

    response = await client.get("/admin/v1/shop", headers=key.headers)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_rolling_replaces_the_secret_at_once(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key = await make_api_key(tenant_a, ["settings:read"])

    rolled = await client.post(f"/admin/v1/api-keys/{key.id}/roll", headers=tenant_a.headers)

    assert rolled.status_code == 200
    new_secret = rolled.json()["secret"]
    assert new_secret.startswith("sk_")
    assert new_secret != key.secret
    assert rolled.json()["id"] == key.id
    assert rolled.json()["last_four"] == new_secret[-4:]
    assert (await client.get("/admin/v1/shop", headers=key.headers)).status_code == 401
    assert (await client.get("/admin/v1/shop", headers=bearer(tenant_a, new_secret))).status_code == 200


async def test_a_revoked_key_stops_working_and_disappears(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key = await make_api_key(tenant_a, ["settings:read"])

    revoked = await client.delete(f"/admin/v1/api-keys/{key.id}", headers=tenant_a.headers)

    assert revoked.status_code == 204
    assert (await client.get("/admin/v1/shop", headers=key.headers)).status_code == 401
    listed = (await client.get("/admin/v1/api-keys", headers=tenant_a.headers)).json()["data"]
    assert key.id not in [k["id"] for k in listed]
    for response in (
        await client.delete(f"/admin/v1/api-keys/{key.id}", headers=tenant_a.headers),
        await client.post(f"/admin/v1/api-keys/{key.id}/roll", headers=tenant_a.headers),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "api_key_not_found"


async def test_a_key_grants_only_scopes_its_creator_holds(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    manager = await make_api_key(tenant_a, ["api_keys:write", "settings:read"])

    broader = await client.post(
        "/admin/v1/api-keys", json={"name": "escalate", "scopes": ["staff:write"]}, headers=manager.headers
    )
    narrower = await client.post(
        "/admin/v1/api-keys", json={"name": "reader", "scopes": ["settings:read"]}, headers=manager.headers
    )

    assert broader.status_code == 403
    assert broader.json()["code"] == "insufficient_scope"
    assert broader.json()["required_scope"] == "staff:write"
    assert narrower.status_code == 201


async def test_unknown_scopes_are_refused(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    for scopes in (["everything"], [], ["customer:profile"]):
        response = await client.post(
            "/admin/v1/api-keys", json={"name": "x", "scopes": scopes}, headers=tenant_a.headers
        )
        assert response.status_code == 422, scopes
        assert response.json()["code"] == "invalid_input"


async def test_a_key_is_not_a_staff_sign_in(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key = await make_api_key(tenant_a, ["staff:write"])

    logout = await client.post("/admin/v1/auth/logout", headers=key.headers)

    assert logout.status_code == 401
    assert (await client.get("/admin/v1/staff", headers=key.headers)).status_code == 200


async def test_a_key_of_tenant_a_is_refused_on_tenant_b_without_data(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_api_key: MakeApiKey
) -> None:
    key = await make_api_key(tenant_a, ["settings:write", "staff:read", "api_keys:read"])

    for method, path in [("GET", "/admin/v1/shop"), ("GET", "/admin/v1/staff"), ("GET", "/admin/v1/api-keys")]:
        response = await client.request(method, path, headers=bearer(tenant_b, key.secret))
        assert response.status_code == 401, path
        assert response.json()["code"] == "invalid_token"
        assert tenant_b.name not in response.text
        assert tenant_b.owner_email not in response.text
    patched = await client.patch("/admin/v1/shop", json={"name": "Hijacked"}, headers=bearer(tenant_b, key.secret))
    assert patched.status_code == 401
    assert (await client.get("/admin/v1/shop", headers=tenant_b.headers)).json()["name"] == tenant_b.name


async def test_a_staff_token_of_tenant_a_is_refused_on_tenant_b(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, make_staff: MakeStaff
) -> None:
    admin = await make_staff(tenant_a, "admin")

    for token in (tenant_a.token, admin.token):
        response = await client.get("/admin/v1/staff", headers=bearer(tenant_b, token))
        assert response.status_code == 401
        assert tenant_b.owner_email not in response.text
    refresh = await client.post(
        "/admin/v1/auth/refresh", json={"refresh_token": admin.refresh_token}, headers={"x-tenant": tenant_b.slug}
    )
    assert refresh.status_code == 401


async def test_a_key_cannot_be_created_already_expired(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    for expires_at in ("2020-01-01T00:00:00Z", "2999-01-01T00:00:00"):  # past; no time zone
        response = await client.post(
            "/admin/v1/api-keys",
            json={"name": "late", "scopes": ["settings:read"], "expires_at": expires_at},
            headers=tenant_a.headers,
        )
        assert response.status_code == 422, expires_at
