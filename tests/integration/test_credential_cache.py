"""Cached credentials and revocation: every process refuses a revoked credential within the documented bound.

The second app instance runs in a process of its own (``tests.fixtures.app_process``) with a credential
cache TTL of 300 s, so within the test only ``NOTIFY`` can clear its cache. Absence of a stale answer is
proven with a sentinel: after the changes, a credential of *another* tenant is revoked through the
first app; once the second process refuses it, it has processed every notification committed before
(PostgreSQL delivers them in commit order), the changes' included.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update

from auth.credentials import CredentialCache, Surface, Verified
from auth.grants.models import Token
from auth.principals import Principal, PrincipalKind
from core.clock import utcnow
from core.db import Database
from core.settings import Settings
from tenants.context import tenant_session
from tests.fixtures.app_process import app_process
from tests.fixtures.staff import MakeApiKey, MakeStaff
from tests.fixtures.tenants import MakeTenant, TenantHandle
from tests.fixtures.workers import context_of


async def _until_refused(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Wait for the sentinel (bounded; a failure to arrive fails the test)."""
    deadline = time.monotonic() + 20
    while (await http.get("/admin/v1/shop", headers=headers)).status_code != 401:
        assert time.monotonic() < deadline, "the second process never heard of the sentinel's revocation"


async def test_revocation_deactivation_demotion_and_key_roll_reach_a_second_process(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_tenant: MakeTenant,
    make_staff: MakeStaff,
    make_api_key: MakeApiKey,
) -> None:
    control = await make_tenant()  # its credentials change behind the services' back: nothing is announced
    signed_out = await make_staff(tenant_a, "staff")
    deactivated = await make_staff(tenant_a, "staff")
    demoted = await make_staff(tenant_a, "admin")
    untouched = await make_staff(tenant_a, "staff")
    key = await make_api_key(tenant_a, ["settings:read"])
    sentinel = await make_staff(tenant_b, "staff")

    with app_process(settings.db.url, COMMERCE_AUTH__CREDENTIAL_CACHE_TTL_SECONDS="300") as second:
        async with second.client() as other:
            for handle in (signed_out, deactivated, untouched, sentinel, control):
                assert (await other.get("/admin/v1/shop", headers=handle.headers)).status_code == 200
            assert (await other.get("/admin/v1/shop", headers=key.headers)).status_code == 200
            assert (await other.patch("/admin/v1/shop", json={}, headers=demoted.headers)).status_code == 200

            # Through the first app: the product's own paths, each announcing its change.
            assert (await client.post("/admin/v1/auth/logout", headers=signed_out.headers)).status_code == 204
            deactivation = await client.post(f"/admin/v1/staff/{deactivated.id}/deactivate", headers=tenant_a.headers)
            assert deactivation.status_code == 200, deactivation.text
            demotion = await client.patch(
                f"/admin/v1/staff/{demoted.id}", json={"role": "read_only"}, headers=tenant_a.headers
            )
            assert demotion.status_code == 200, demotion.text
            rolled = await client.post(f"/admin/v1/api-keys/{key.id}/roll", headers=tenant_a.headers)
            assert rolled.status_code == 200, rolled.text
            # The control: a revocation written straight to the table announces nothing.
            async with tenant_session(database, await context_of(database, control)) as db:
                await db.execute(update(Token).values(revoked_at=utcnow()))
                await db.commit()
            assert (await client.post("/admin/v1/auth/logout", headers=sentinel.headers)).status_code == 204
            await _until_refused(other, sentinel.headers)

            signed_out_answer = await other.get("/admin/v1/shop", headers=signed_out.headers)
            deactivated_answer = await other.get("/admin/v1/shop", headers=deactivated.headers)
            demoted_answer = await other.patch("/admin/v1/shop", json={}, headers=demoted.headers)
            old_key_answer = await other.get("/admin/v1/shop", headers=key.headers)
            new_key_headers = {**key.headers, "authorization": f"Bearer {rolled.json()['secret']}"}
            new_key_answer = await other.get("/admin/v1/shop", headers=new_key_headers)
            untouched_answer = await other.get("/admin/v1/shop", headers=untouched.headers)
            control_answer = await other.get("/admin/v1/shop", headers=control.headers)

    assert signed_out_answer.status_code == 401
    assert deactivated_answer.status_code == 401
    assert demoted_answer.status_code == 403
    assert demoted_answer.json()["code"] == "insufficient_scope"
    assert old_key_answer.status_code == 401
    assert new_key_answer.status_code == 200
    assert untouched_answer.status_code == 200
    # Cached, and nothing announced the change: accepted until the TTL ends (the documented bound without NOTIFY).
    assert control_answer.status_code == 200


async def test_without_notifications_a_cached_credential_lives_at_most_the_ttl() -> None:
    now = [1000.0]
    cache = CredentialCache(ttl_seconds=30, max_entries=10, clock=lambda: now[0])
    tenant_id, loads = uuid.uuid4(), []
    principal = Principal(kind=PrincipalKind.STAFF, id=uuid.uuid4(), scopes=frozenset())

    async def load() -> tuple[Principal, None] | None:
        loads.append(now[0])
        return (principal, None) if len(loads) == 1 else None  # revoked after the first look-up

    first = await cache.verify(tenant_id, Surface.STAFF, b"hash", load)
    now[0] += 29
    within = await cache.verify(tenant_id, Surface.STAFF, b"hash", load)
    now[0] += 2
    after = await cache.verify(tenant_id, Surface.STAFF, b"hash", load)

    assert (first, within, after) == (principal, principal, None)
    assert loads == [1000.0, 1031.0]


async def test_a_cached_credential_never_outlives_its_own_expiry() -> None:
    now = [0.0]
    cache = CredentialCache(ttl_seconds=300, max_entries=10, clock=lambda: now[0])
    principal = Principal(kind=PrincipalKind.STAFF, id=uuid.uuid4(), scopes=frozenset())
    answers: list[Verified | None] = [(principal, utcnow() + timedelta(seconds=5)), None]

    async def load() -> Verified | None:
        return answers.pop(0)

    assert await cache.verify(uuid.uuid4(), Surface.STAFF, b"h", load) == principal
    tenant = next(iter(cache._entries))[0]
    now[0] += 6

    assert await cache.verify(tenant, Surface.STAFF, b"h", load) is None


async def test_a_look_up_overtaken_by_a_change_is_not_cached() -> None:
    cache = CredentialCache(ttl_seconds=300, max_entries=10)
    tenant_id = uuid.uuid4()
    principal = Principal(kind=PrincipalKind.STAFF, id=uuid.uuid4(), scopes=frozenset())

    async def load_while_revoked() -> tuple[Principal, None]:
        cache.forget(tenant_id)  # the revocation commits while this look-up is in flight
        return principal, None

    assert await cache.verify(tenant_id, Surface.STAFF, b"h", load_while_revoked) == principal
    assert len(cache) == 0


async def test_the_same_secret_on_another_surface_or_tenant_is_another_entry() -> None:
    cache = CredentialCache(ttl_seconds=300, max_entries=10)
    tenant_id = uuid.uuid4()
    staff = Principal(kind=PrincipalKind.STAFF, id=uuid.uuid4(), scopes=frozenset())

    async def found() -> tuple[Principal, None]:
        return staff, None

    async def nothing() -> None:
        return None

    assert await cache.verify(tenant_id, Surface.STAFF, b"h", found) == staff
    assert await cache.verify(tenant_id, Surface.STOREFRONT, b"h", nothing) is None
    assert await cache.verify(uuid.uuid4(), Surface.STAFF, b"h", nothing) is None
