"""The team through /admin/v1/staff: invitations, roles, deactivation, ownership; staff sign-in rotation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from auth.action_tokens.models import ActionToken
from core.clock import utcnow
from core.db import Database
from tenants.context import tenant_session
from tests.fixtures.staff import InvitationToken, Invite, MakeApiKey, MakeStaff, StaffHandle, bearer
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import context_of

Accept = Callable[..., Awaitable[httpx.Response]]
PASSWORD = "correct horse battery staple"  # pragma: allowlist secret


async def members(client: httpx.AsyncClient, tenant: TenantHandle) -> list[dict[str, object]]:
    response = await client.get("/admin/v1/staff", params={"limit": 100}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, object]] = response.json()["data"]
    return data


async def owner_id(client: httpx.AsyncClient, tenant: TenantHandle) -> str:
    [owner] = [m for m in await members(client, tenant) if m["role"] == "owner"]
    return str(owner["id"])


async def sign_in(client: httpx.AsyncClient, tenant: TenantHandle, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/admin/v1/auth/token", json={"email": email, "password": password}, headers={"x-tenant": tenant.slug}
    )


# --- listing and reading -----------------------------------------------------------------------------


async def test_list_shows_the_team_with_pending_invitations_a_page_at_a_time(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite, make_staff: MakeStaff
) -> None:
    member = await make_staff(tenant_a, "admin")
    invited = await invite(tenant_a, "read_only")

    team = await members(client, tenant_a)

    assert [m["email"] for m in team] == [tenant_a.owner_email, member.email, invited["email"]]
    assert team[0] | {"id": None, "created_at": None, "last_login_at": None} == {
        "object": "staff_member",
        "id": None,
        "email": tenant_a.owner_email,
        "name": "",
        "role": "owner",
        "is_active": True,
        "invitation_pending": False,
        "invited_at": None,
        "created_at": None,
        "last_login_at": None,
    }
    assert team[0]["last_login_at"] is not None  # the fixture signed the owner in
    assert team[1]["invitation_pending"] is False
    assert team[1]["role"] == "admin"
    assert team[2]["invitation_pending"] is True
    assert team[2]["invited_at"] is not None
    first = await client.get("/admin/v1/staff", params={"limit": 1}, headers=tenant_a.headers)
    assert first.json()["has_more"] is True
    second = await client.get(
        "/admin/v1/staff",
        params={"limit": 2, "starting_after": first.json()["data"][0]["id"]},
        headers=tenant_a.headers,
    )
    assert [m["id"] for m in second.json()["data"]] == [member.id, invited["id"]]
    assert second.json()["has_more"] is False
    bad_cursor = await client.get("/admin/v1/staff", params={"starting_after": "nope"}, headers=tenant_a.headers)
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["code"] == "invalid_cursor"


async def test_another_tenants_member_is_not_found(
    client: httpx.AsyncClient, tenant_a: TenantHandle, tenant_b: TenantHandle, invite: Invite
) -> None:
    member_of_b = await invite(tenant_b)
    for method, path in [
        ("GET", f"/admin/v1/staff/{member_of_b['id']}"),
        ("PATCH", f"/admin/v1/staff/{member_of_b['id']}"),
        ("POST", f"/admin/v1/staff/{member_of_b['id']}/deactivate"),
        ("POST", f"/admin/v1/staff/{member_of_b['id']}/invitation"),
        ("GET", f"/admin/v1/staff/{uuid.uuid4()}"),
    ]:
        response = await client.request(method, path, json={"name": "x"}, headers=tenant_a.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "staff_member_not_found"
        assert str(member_of_b["email"]) not in response.text


# --- invitations -------------------------------------------------------------------------------------


async def test_invited_member_cannot_sign_in_until_they_accept_then_can(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite, accept: Accept
) -> None:
    invited = await invite(tenant_a, "staff", email="New.Person@Example.com")
    assert invited["email"] == "new.person@example.com"
    assert invited["invitation_pending"] is True
    assert (await sign_in(client, tenant_a, "new.person@example.com", PASSWORD)).status_code == 401

    accepted = await accept(tenant_a, str(invited["id"]), PASSWORD, name="New Person")

    assert accepted.status_code == 200, accepted.text
    tokens = accepted.json()
    assert tokens["access_token"].startswith("sat_")
    assert tokens["refresh_token"].startswith("srt_")
    me = await client.get(f"/admin/v1/staff/{invited['id']}", headers=bearer(tenant_a, tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["invitation_pending"] is False
    assert me.json()["name"] == "New Person"
    assert me.json()["last_login_at"] is not None
    assert (await sign_in(client, tenant_a, "new.person@example.com", PASSWORD)).status_code == 200


async def test_an_invitation_token_works_once_and_only_the_latest_one_works(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite, invitation_token: InvitationToken
) -> None:
    invited = await invite(tenant_a)
    older = await invitation_token(tenant_a, str(invited["id"]))
    latest = await invitation_token(tenant_a, str(invited["id"]))

    async def accept_with(token: str) -> httpx.Response:
        return await client.post(
            "/admin/v1/staff/invitations/accept",
            json={"token": token, "password": PASSWORD},
            headers={"x-tenant": tenant_a.slug},
        )

    assert (await accept_with(older)).json()["code"] == "invalid_action_token"
    assert (await accept_with(latest)).status_code == 200
    replay = await accept_with(latest)
    assert replay.status_code == 422
    assert replay.json()["code"] == "invalid_action_token"
    assert (await accept_with("act_not-a-token")).json()["code"] == "invalid_action_token"


async def test_a_refused_password_does_not_spend_the_invitation(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite, invitation_token: InvitationToken
) -> None:
    invited = await invite(tenant_a)
    token = await invitation_token(tenant_a, str(invited["id"]))
    url, headers = "/admin/v1/staff/invitations/accept", {"x-tenant": tenant_a.slug}

    too_short = "short"  # pragma: allowlist secret
    weak = await client.post(url, json={"token": token, "password": too_short}, headers=headers)

    assert weak.status_code == 422
    assert weak.json()["code"] == "weak_password"
    assert (await client.post(url, json={"token": token, "password": PASSWORD}, headers=headers)).status_code == 200


async def test_an_expired_invitation_is_refused(
    client: httpx.AsyncClient,
    database: Database,
    tenant_a: TenantHandle,
    invite: Invite,
    invitation_token: InvitationToken,
) -> None:
    invited = await invite(tenant_a)
    token = await invitation_token(tenant_a, str(invited["id"]))
    async with tenant_session(database, await context_of(database, tenant_a)) as db:
        await db.execute(update(ActionToken).values(expires_at=utcnow()))
        await db.commit()

    response = await client.post(
        "/admin/v1/staff/invitations/accept",
        json={"token": token, "password": PASSWORD},
        headers={"x-tenant": tenant_a.slug},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_action_token"


async def test_an_invitation_token_of_another_tenant_is_refused(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    invite: Invite,
    invitation_token: InvitationToken,
) -> None:
    invited = await invite(tenant_a)
    token = await invitation_token(tenant_a, str(invited["id"]))

    response = await client.post(
        "/admin/v1/staff/invitations/accept",
        json={"token": token, "password": PASSWORD},
        headers={"x-tenant": tenant_b.slug},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_action_token"


async def test_nobody_is_invited_as_owner_and_emails_are_unique(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite
) -> None:
    url = "/admin/v1/staff/invitations"
    as_owner = await client.post(url, json={"email": "boss@example.com", "role": "owner"}, headers=tenant_a.headers)
    assert as_owner.status_code == 422
    assert as_owner.json()["code"] == "owner_role_not_assignable"
    await invite(tenant_a, email="twice@example.com")
    for email in ("twice@example.com", "TWICE@example.com", tenant_a.owner_email):
        again = await client.post(url, json={"email": email, "role": "staff"}, headers=tenant_a.headers)
        assert again.status_code == 409, email
        assert again.json()["code"] == "staff_member_already_exists"
    unknown_role = await client.post(url, json={"email": "x@example.com", "role": "god"}, headers=tenant_a.headers)
    assert unknown_role.status_code == 422


async def test_only_owners_and_admins_invite(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff, invite: Invite
) -> None:
    admin = await make_staff(tenant_a, "admin")
    clerk = await make_staff(tenant_a, "staff")

    invited_by_admin = await invite(tenant_a, "admin", headers=admin.headers)
    by_clerk = await client.post(
        "/admin/v1/staff/invitations", json={"email": "y@example.com", "role": "staff"}, headers=clerk.headers
    )

    assert invited_by_admin["role"] == "admin"
    assert by_clerk.status_code == 403
    assert by_clerk.json() | {"instance": None, "detail": None} == {
        "type": "https://docs.commerce.dev/problems/insufficient_scope",
        "title": "The credential lacks the scope this action requires.",
        "status": 403,
        "code": "insufficient_scope",
        "required_scope": "staff:write",
        "instance": None,
        "detail": None,
    }


async def test_resending_an_invitation_spends_the_links_sent_before(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite, invitation_token: InvitationToken
) -> None:
    invited = await invite(tenant_a)
    mailed_before = await invitation_token(tenant_a, str(invited["id"]))

    resent = await client.post(f"/admin/v1/staff/{invited['id']}/invitation", headers=tenant_a.headers)

    assert resent.status_code == 202
    old_link = await client.post(
        "/admin/v1/staff/invitations/accept",
        json={"token": mailed_before, "password": PASSWORD},
        headers={"x-tenant": tenant_a.slug},
    )
    assert old_link.json()["code"] == "invalid_action_token"


async def test_only_pending_members_are_reinvited(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff, invite: Invite
) -> None:
    member = await make_staff(tenant_a)
    pending = await invite(tenant_a)
    await client.post(f"/admin/v1/staff/{pending['id']}/deactivate", headers=tenant_a.headers)

    for staff_id in (member.id, await owner_id(client, tenant_a), pending["id"]):
        response = await client.post(f"/admin/v1/staff/{staff_id}/invitation", headers=tenant_a.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "invitation_not_pending"


async def test_a_deactivated_invitee_cannot_accept(
    client: httpx.AsyncClient, tenant_a: TenantHandle, invite: Invite, invitation_token: InvitationToken
) -> None:
    invited = await invite(tenant_a)
    token = await invitation_token(tenant_a, str(invited["id"]))
    await client.post(f"/admin/v1/staff/{invited['id']}/deactivate", headers=tenant_a.headers)

    response = await client.post(
        "/admin/v1/staff/invitations/accept",
        json={"token": token, "password": PASSWORD},
        headers={"x-tenant": tenant_a.slug},
    )

    assert response.json()["code"] == "invalid_action_token"


# --- roles -------------------------------------------------------------------------------------------


async def test_a_new_role_applies_to_tokens_already_issued(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    member = await make_staff(tenant_a, "admin")
    assert (await client.get("/admin/v1/api-keys", headers=member.headers)).status_code == 200

    changed = await client.patch(
        f"/admin/v1/staff/{member.id}", json={"role": "read_only", "name": "Demoted"}, headers=tenant_a.headers
    )

    assert changed.status_code == 200
    assert changed.json()["role"] == "read_only"
    assert changed.json()["name"] == "Demoted"
    denied = await client.get("/admin/v1/api-keys", headers=member.headers)
    assert denied.status_code == 403
    assert denied.json()["required_scope"] == "api_keys:read"
    assert (await client.get("/admin/v1/staff", headers=member.headers)).status_code == 200


async def test_the_owner_role_is_locked_and_never_granted(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    member = await make_staff(tenant_a, "admin")
    owner = await owner_id(client, tenant_a)

    demote_owner = await client.patch(f"/admin/v1/staff/{owner}", json={"role": "admin"}, headers=tenant_a.headers)
    promote = await client.patch(f"/admin/v1/staff/{member.id}", json={"role": "owner"}, headers=tenant_a.headers)
    null_role = await client.patch(f"/admin/v1/staff/{member.id}", json={"role": None}, headers=tenant_a.headers)

    assert demote_owner.status_code == 409
    assert demote_owner.json()["code"] == "owner_role_locked"
    assert promote.status_code == 422
    assert promote.json()["code"] == "owner_role_not_assignable"
    assert null_role.status_code == 422
    assert [m["role"] for m in await members(client, tenant_a)].count("owner") == 1


async def test_only_the_owner_changes_the_owners_details(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff, make_api_key: MakeApiKey
) -> None:
    admin = await make_staff(tenant_a, "admin")
    key = await make_api_key(tenant_a, ["staff:write"])
    owner = await owner_id(client, tenant_a)

    for headers in (admin.headers, key.headers):
        response = await client.patch(f"/admin/v1/staff/{owner}", json={"name": "Mallory"}, headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_role"
    own = await client.patch(f"/admin/v1/staff/{owner}", json={"name": "The Owner"}, headers=tenant_a.headers)
    assert own.status_code == 200
    assert own.json()["name"] == "The Owner"


async def test_admins_and_api_keys_with_staff_write_manage_other_members(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff, make_api_key: MakeApiKey
) -> None:
    admin = await make_staff(tenant_a, "admin")
    other_admin = await make_staff(tenant_a, "admin")
    key = await make_api_key(tenant_a, ["staff:write"])

    by_admin = await client.patch(f"/admin/v1/staff/{other_admin.id}", json={"role": "staff"}, headers=admin.headers)
    by_key = await client.patch(f"/admin/v1/staff/{other_admin.id}", json={"role": "admin"}, headers=key.headers)

    assert by_admin.status_code == 200
    assert by_admin.json()["role"] == "staff"
    assert by_key.status_code == 200
    assert by_key.json()["role"] == "admin"


# --- deactivation ------------------------------------------------------------------------------------


async def test_deactivation_stops_every_token_at_once_and_reactivation_does_not_revive_them(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    member = await make_staff(tenant_a, "staff")
    second_sign_in = (await sign_in(client, tenant_a, member.email, member.password)).json()
    assert (await client.get("/admin/v1/staff", headers=member.headers)).status_code == 200

    deactivated = await client.post(f"/admin/v1/staff/{member.id}/deactivate", headers=tenant_a.headers)

    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False

    async def assert_tokens_dead() -> None:
        for access in (member.token, second_sign_in["access_token"]):
            response = await client.get("/admin/v1/staff", headers=bearer(tenant_a, access))
            assert response.status_code == 401
            assert response.json()["code"] == "invalid_token"
        for refresh in (member.refresh_token, second_sign_in["refresh_token"]):
            response = await client.post(
                "/admin/v1/auth/refresh", json={"refresh_token": refresh}, headers={"x-tenant": tenant_a.slug}
            )
            assert response.status_code == 401
            assert response.json()["code"] == "invalid_refresh_token"

    await assert_tokens_dead()
    assert (await sign_in(client, tenant_a, member.email, member.password)).json()["code"] == "invalid_credentials"

    reactivated = await client.post(f"/admin/v1/staff/{member.id}/reactivate", headers=tenant_a.headers)

    assert reactivated.status_code == 200
    assert reactivated.json()["is_active"] is True
    await assert_tokens_dead()
    fresh = await sign_in(client, tenant_a, member.email, member.password)
    assert fresh.status_code == 200
    assert (
        await client.get("/admin/v1/staff", headers=bearer(tenant_a, fresh.json()["access_token"]))
    ).status_code == 200


async def test_the_owner_cannot_be_deactivated(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    admin = await make_staff(tenant_a, "admin")
    owner = await owner_id(client, tenant_a)
    for headers in (tenant_a.headers, admin.headers):
        response = await client.post(f"/admin/v1/staff/{owner}/deactivate", headers=headers)
        assert response.status_code == 409
        assert response.json()["code"] == "owner_cannot_be_deactivated"
    assert (await client.get("/admin/v1/shop", headers=tenant_a.headers)).status_code == 200


# --- ownership ---------------------------------------------------------------------------------------


async def test_the_owner_transfers_ownership_and_becomes_an_admin(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    successor = await make_staff(tenant_a, "read_only")
    previous = await owner_id(client, tenant_a)

    response = await client.post(
        "/admin/v1/staff/transfer-ownership", json={"staff_id": successor.id}, headers=tenant_a.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == successor.id
    assert response.json()["role"] == "owner"
    roles = {m["id"]: m["role"] for m in await members(client, tenant_a)}
    assert roles[successor.id] == "owner"
    assert roles[previous] == "admin"
    assert list(roles.values()).count("owner") == 1
    # The new role applies to the tokens already issued, both ways.
    again = await client.post(
        "/admin/v1/staff/transfer-ownership", json={"staff_id": successor.id}, headers=tenant_a.headers
    )
    assert again.status_code == 403
    assert again.json()["code"] == "owner_only"
    back = await client.post(
        "/admin/v1/staff/transfer-ownership", json={"staff_id": previous}, headers=successor.headers
    )
    assert back.status_code == 200


async def test_only_the_owner_transfers_and_only_to_an_active_accepted_member(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_staff: MakeStaff,
    make_api_key: MakeApiKey,
    invite: Invite,
) -> None:
    admin = await make_staff(tenant_a, "admin")
    gone = await make_staff(tenant_a, "staff")
    await client.post(f"/admin/v1/staff/{gone.id}/deactivate", headers=tenant_a.headers)
    pending = await invite(tenant_a)
    member_of_b = await invite(tenant_b)
    key = await make_api_key(tenant_a, ["staff:write"])
    url = "/admin/v1/staff/transfer-ownership"

    cases = [
        (admin.headers, admin.id, 403, "owner_only"),
        (key.headers, admin.id, 403, "owner_only"),
        (tenant_a.headers, gone.id, 409, "invalid_ownership_target"),
        (tenant_a.headers, pending["id"], 409, "invalid_ownership_target"),
        (tenant_a.headers, await owner_id(client, tenant_a), 409, "invalid_ownership_target"),
        (tenant_a.headers, member_of_b["id"], 404, "staff_member_not_found"),
        (tenant_a.headers, str(uuid.uuid4()), 404, "staff_member_not_found"),
    ]
    for headers, staff_id, status, code in cases:
        response = await client.post(url, json={"staff_id": staff_id}, headers=headers)
        assert (response.status_code, response.json()["code"]) == (status, code), staff_id
    assert [m["email"] for m in await members(client, tenant_a) if m["role"] == "owner"] == [tenant_a.owner_email]


async def test_two_concurrent_transfers_leave_exactly_one_owner(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    first, second = await make_staff(tenant_a, "admin"), await make_staff(tenant_a, "admin")
    url = "/admin/v1/staff/transfer-ownership"

    responses = await asyncio.gather(
        client.post(url, json={"staff_id": first.id}, headers=tenant_a.headers),
        client.post(url, json={"staff_id": second.id}, headers=tenant_a.headers),
    )

    assert sorted(r.status_code for r in responses) == [200, 403]
    [refused] = [r for r in responses if r.status_code == 403]
    assert refused.json()["code"] == "owner_only"
    [winner] = [r.json() for r in responses if r.status_code == 200]
    owners = [m for m in await members(client, tenant_a) if m["role"] == "owner"]
    assert [m["id"] for m in owners] == [winner["id"]]


async def test_the_database_refuses_a_second_owner(database: Database, tenant_a: TenantHandle, invite: Invite) -> None:
    invited = await invite(tenant_a)
    async with tenant_session(database, await context_of(database, tenant_a)) as db:
        with pytest.raises(IntegrityError, match="uq_staff_members_one_owner"):
            await db.execute(text("UPDATE staff_members SET role = 'owner' WHERE id = :id"), {"id": invited["id"]})


# --- staff sign-in: rotation, reuse, logout ----------------------------------------------------------


async def refresh(client: httpx.AsyncClient, tenant: TenantHandle, refresh_token: str) -> httpx.Response:
    return await client.post(
        "/admin/v1/auth/refresh", json={"refresh_token": refresh_token}, headers={"x-tenant": tenant.slug}
    )


async def test_a_refresh_token_works_once_and_rotates(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    member: StaffHandle = await make_staff(tenant_a, "staff")

    rotated = await refresh(client, tenant_a, member.refresh_token)

    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh_token"] != member.refresh_token
    assert pair["access_token"] != member.token
    assert (await client.get("/admin/v1/staff", headers=bearer(tenant_a, pair["access_token"]))).status_code == 200
    # The access token the spent refresh token came with ends with it.
    assert (await client.get("/admin/v1/staff", headers=member.headers)).status_code == 401
    assert (await refresh(client, tenant_a, pair["refresh_token"])).status_code == 200


async def test_a_reused_refresh_token_revokes_the_whole_sign_in_even_though_the_request_fails(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    member = await make_staff(tenant_a, "staff")
    newer = (await refresh(client, tenant_a, member.refresh_token)).json()
    other_sign_in = (await sign_in(client, tenant_a, member.email, member.password)).json()

    reused = await refresh(client, tenant_a, member.refresh_token)

    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    assert (await client.get("/admin/v1/staff", headers=bearer(tenant_a, newer["access_token"]))).status_code == 401
    newer_refresh = await refresh(client, tenant_a, newer["refresh_token"])
    assert newer_refresh.status_code == 401
    # Spent by the revocation that committed with the failed request; reused again, it is reuse again.
    assert newer_refresh.json()["code"] in ("invalid_refresh_token", "refresh_token_reused")
    # Another sign-in of the same member is another family: untouched.
    assert (
        await client.get("/admin/v1/staff", headers=bearer(tenant_a, other_sign_in["access_token"]))
    ).status_code == 200


async def test_logout_revokes_the_access_and_refresh_tokens(
    client: httpx.AsyncClient, tenant_a: TenantHandle, make_staff: MakeStaff
) -> None:
    member = await make_staff(tenant_a, "read_only")

    logout = await client.post("/admin/v1/auth/logout", headers=member.headers)

    assert logout.status_code == 204
    assert (await client.get("/admin/v1/staff", headers=member.headers)).status_code == 401
    assert (await refresh(client, tenant_a, member.refresh_token)).json()["code"] == "invalid_refresh_token"
