"""Staff members of a tenant: sign-in, refresh, sign-out, the token check of every admin request, and
the team's management (invitations, roles, deactivation, ownership).

The owner is created at provisioning. Staff scopes come from the member's current role on every
request, so a role change or a deactivation applies to tokens already issued.

The rules of the team (the routes require ``staff:write``, which only owners, admins and API keys
granted it hold):

* There is exactly one owner, always. Nobody is made owner by an invitation or a role change (422
  ``owner_role_not_assignable``); the owner's role cannot be changed (409 ``owner_role_locked``) and the
  owner cannot be deactivated (409 ``owner_cannot_be_deactivated``). Ownership moves only by
  ``transfer_ownership``, which only the owner, signed in as themselves (never an API key), may call; the
  database backs this with a unique index over the owners (migration 0004).
* Only the owner changes the owner's own details (their name); an admin or an API key may not (403
  ``insufficient_role``).
* Granting or taking away the ``admin`` role needs an owner or admin (or an API key with ``staff:write``):
  with today's scopes nobody else reaches these routes, and the rule stays if the scopes change.
* Invited members have no password and cannot sign in until they accept; the invitation mail's token is
  created by the job that sends it (``auth.action_tokens``), never here.
* Deactivation revokes every token the member holds at once; reactivation restores the account, not
  the tokens (the member signs in again). A pending member is re-invited after reactivation.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.action_tokens import service as action_tokens
from auth.action_tokens.models import Purpose
from auth.credentials import Surface, Verified, credentials_changed
from auth.errors import (
    InsufficientRole,
    InvalidActionToken,
    InvalidRefreshToken,
    InvalidToken,
    StaffMemberNotFound,
)
from auth.grants import repository as grants_repository
from auth.grants import service as grants
from auth.grants.models import Holder, Token
from auth.passwords import check_password_strength
from auth.principals import Principal, PrincipalKind
from auth.runtime import AuthRuntime
from auth.staff import repository
from auth.staff.errors import (
    InvalidOwnershipTarget,
    InvitationNotPending,
    OwnerCannotBeDeactivated,
    OwnerOnly,
    OwnerRoleLocked,
    OwnerRoleNotAssignable,
    StaffMemberAlreadyExists,
)
from auth.staff.models import StaffMember, StaffRole
from auth.staff.roles import ROLE_SCOPES
from auth.staff.schemas import InvitationAccept, StaffInvite, StaffUpdate
from core import jobs
from core.clock import utcnow
from core.db import TenantReader
from core.pagination import cursor_row, split_page
from tenants.context import TenantContext

INVITATION_JOB = "mail.send_staff_invitation"
_STAFF = frozenset({Holder.STAFF})


async def create_owner(db: AsyncSession, *, email: str, password_hash: str) -> StaffMember:
    """The tenant's first staff member, with the ``owner`` role (exactly one per tenant)."""
    owner = StaffMember(email=email.lower(), password_hash=password_hash, role=StaffRole.OWNER)
    db.add(owner)
    await db.flush()
    return owner


async def sign_in(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, *, email: str, password: str, ip: str | None
) -> grants.IssuedTokens:
    """Exchange an active staff member's credentials for an access token and a refresh token of this tenant."""

    async def attempt() -> StaffMember | None:
        member = await repository.get_by_email(db, email)
        valid = await auth.passwords.verify(member.password_hash if member else None, password)
        return member if member is not None and valid and member.is_active else None

    member = await auth.sign_in("staff", tenant.id, account=email, ip=ip, attempt=attempt)
    member.last_login_at = utcnow()
    return await _issue(db, auth, tenant, member)


async def refresh(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, refresh_token: str
) -> grants.IssuedTokens:
    """Rotate: the refresh token is spent and a new pair issued. A spent token presented again revokes the sign-in."""
    token = await grants.spend_refresh(db, auth.hasher, tenant.id, refresh_token, holders=_STAFF)
    member = await repository.get_active(db, token.staff_id) if token.staff_id else None
    if member is None:
        raise InvalidRefreshToken()
    await grants.mark_rotated(db, token)
    return await _issue(db, auth, tenant, member, rotated_from=token)


async def sign_out(db: AsyncSession, principal: Principal) -> None:
    """Revoke the caller's sign-in: its access token and every refresh token of its family."""
    if principal.token_family_id is not None:
        await grants.revoke_family(db, principal.token_family_id)


async def authenticate(reader: TenantReader, auth: AuthRuntime, tenant: TenantContext, access_token: str) -> Principal:
    """The active staff member behind a staff access token presented to this tenant, with their role's scopes.

    A token of another tenant hashes differently and matches nothing: it fails closed before any data is read.
    Verified tokens are cached (``auth.credentials``); revocation, deactivation and role changes clear them.
    """
    access_hash = auth.hasher.hash(access_token, tenant_id=tenant.id)

    async def load() -> Verified | None:
        row = await grants_repository.get_live_staff_credential(reader, access_hash, now=utcnow())
        if row is None:
            return None
        principal = Principal(
            kind=PrincipalKind.STAFF,
            id=row["staff_id"],
            scopes=ROLE_SCOPES[StaffRole(row["role"])],
            token_family_id=row["family_id"],
        )
        return principal, row["access_expires_at"]

    principal = await auth.credentials.verify(tenant.id, Surface.STAFF, access_hash, load)
    if principal is None:
        raise InvalidToken()
    return principal


async def count_active(db: AsyncSession) -> int:
    return await repository.count_active(db)


# --- the team --------------------------------------------------------------------------------------


async def list_members(db: AsyncSession, *, limit: int, starting_after: str | None) -> tuple[list[StaffMember], bool]:
    """A page of members (active, deactivated and invited) in creation order, and whether more follow."""
    after = await cursor_row(starting_after, lambda staff_id: repository.get(db, staff_id))
    return split_page(await repository.list_page(db, limit, after=after), limit)


async def get_member(db: AsyncSession, staff_id: uuid.UUID) -> StaffMember:
    member = await repository.get(db, staff_id)
    if member is None:
        raise StaffMemberNotFound()
    return member


async def invite(db: AsyncSession, body: StaffInvite, *, actor: Principal) -> StaffMember:
    """Add a member without a password, pending until they accept, and queue the invitation mail.

    Only the member's id goes into the job: the job creates the single-use token and mails it.
    """
    if body.role is StaffRole.OWNER:
        raise OwnerRoleNotAssignable()
    await _require_can_manage(db, actor, body.role)
    if await repository.get_by_email(db, body.email) is not None:
        raise StaffMemberAlreadyExists(email=body.email)
    member = StaffMember(email=body.email, name=body.name, role=body.role, password_hash=None, invited_at=utcnow())
    db.add(member)
    try:
        async with db.begin_nested():  # a concurrent invitation of the same email
            await db.flush()
    except IntegrityError as exc:
        raise StaffMemberAlreadyExists(email=body.email) from exc
    jobs.enqueue(db, INVITATION_JOB, staff_id=str(member.id))
    return member


async def resend_invitation(db: AsyncSession, staff_id: uuid.UUID, *, actor: Principal) -> StaffMember:
    """Mail a pending member a new invitation; the links mailed before stop working now."""
    member = await _locked(db, staff_id)
    if not member.invitation_pending or not member.is_active:
        raise InvitationNotPending()
    await _require_can_manage(db, actor, member.role)
    await action_tokens.revoke_outstanding(db, Purpose.STAFF_INVITATION, member.id)
    jobs.enqueue(db, INVITATION_JOB, staff_id=str(member.id))
    return member


async def accept_invitation(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, body: InvitationAccept
) -> grants.IssuedTokens:
    """Spend the invitation token, set the member's password and sign them in.

    The password is checked before the token is spent, so a refused password does not burn the link.
    """
    check_password_strength(body.password)
    staff_id = await action_tokens.consume(db, auth, tenant.id, Purpose.STAFF_INVITATION, body.token)
    member = (await repository.lock(db, [staff_id])).get(staff_id)
    if member is None or not member.is_active or not member.invitation_pending:
        raise InvalidActionToken()
    member.password_hash = await auth.passwords.hash(body.password)
    member.invited_at = None
    if body.name is not None:
        member.name = body.name
    member.last_login_at = utcnow()
    return await _issue(db, auth, tenant, member)


async def update_member(db: AsyncSession, staff_id: uuid.UUID, body: StaffUpdate, *, actor: Principal) -> StaffMember:
    """Change a member's name and/or role; a new role applies to the member's tokens at their next request."""
    member = await _locked(db, staff_id)
    if body.role is StaffRole.OWNER and member.role is not StaffRole.OWNER:
        raise OwnerRoleNotAssignable()
    if member.role is StaffRole.OWNER:
        if body.role is not None and body.role is not StaffRole.OWNER:
            raise OwnerRoleLocked()
        if not _is(actor, member):
            raise InsufficientRole("only the owner changes the owner's details")
    if body.role is not None and body.role is not member.role:
        await _require_can_manage(db, actor, member.role)
        await _require_can_manage(db, actor, body.role)
        member.role = body.role
        await credentials_changed(db)  # the member's cached tokens carry the old role's scopes
    if body.name is not None:
        member.name = body.name
    await db.flush()
    return member


async def deactivate(db: AsyncSession, staff_id: uuid.UUID, *, actor: Principal) -> StaffMember:
    """Lock a member out at once: every token they hold is revoked and their invitation links stop working."""
    member = await _locked(db, staff_id)
    if member.role is StaffRole.OWNER:
        raise OwnerCannotBeDeactivated()
    await _require_can_manage(db, actor, member.role)
    member.is_active = False
    await db.flush()
    await grants.revoke_held_by_staff(db, member.id)
    await action_tokens.revoke_outstanding(db, Purpose.STAFF_INVITATION, member.id)
    return member


async def reactivate(db: AsyncSession, staff_id: uuid.UUID, *, actor: Principal) -> StaffMember:
    """Let a member sign in again. Tokens revoked at deactivation stay revoked."""
    member = await _locked(db, staff_id)
    await _require_can_manage(db, actor, member.role)
    member.is_active = True
    await db.flush()
    return member


async def transfer_ownership(db: AsyncSession, staff_id: uuid.UUID, *, actor: Principal) -> StaffMember:
    """Make another active, accepted member the owner; the previous owner becomes an admin.

    Both rows are locked first, so of two concurrent transfers the second sees the first's result (its
    caller is no longer the owner) and is refused. The old owner is demoted and flushed before the new
    one is promoted: at no point do two owners exist, as the one-owner index requires.
    """
    if actor.kind is not PrincipalKind.STAFF:
        raise OwnerOnly("ownership is transferred by the owner's own sign-in, never by an API key")
    members = await repository.lock(db, [actor.id, staff_id])
    owner = members.get(actor.id)
    if owner is None or owner.role is not StaffRole.OWNER or not owner.is_active:
        raise OwnerOnly()
    if staff_id == actor.id:
        raise InvalidOwnershipTarget("you already own the shop")
    target = members.get(staff_id)
    if target is None:
        raise StaffMemberNotFound()
    if not target.is_active or target.invitation_pending:
        raise InvalidOwnershipTarget()
    owner.role = StaffRole.ADMIN
    await db.flush()
    target.role = StaffRole.OWNER
    await db.flush()
    await credentials_changed(db)  # both members' cached tokens carry their old roles' scopes
    return target


async def _locked(db: AsyncSession, staff_id: uuid.UUID) -> StaffMember:
    member = (await repository.lock(db, [staff_id])).get(staff_id)
    if member is None:
        raise StaffMemberNotFound()
    return member


def _is(actor: Principal, member: StaffMember) -> bool:
    return actor.kind is PrincipalKind.STAFF and actor.id == member.id


async def _require_can_manage(db: AsyncSession, actor: Principal, role: StaffRole) -> None:
    """Members with the ``admin`` role are invited, changed and deactivated only by an owner, an admin or an API key."""
    if role is StaffRole.ADMIN and actor.kind is PrincipalKind.STAFF:
        member = await repository.get(db, actor.id)
        if member is None or member.role not in (StaffRole.OWNER, StaffRole.ADMIN):
            raise InsufficientRole("only the owner or an admin may grant or change the admin role")


async def _issue(
    db: AsyncSession,
    auth: AuthRuntime,
    tenant: TenantContext,
    member: StaffMember,
    *,
    rotated_from: Token | None = None,
) -> grants.IssuedTokens:
    return await grants.issue(
        db,
        auth.hasher,
        tenant.id,
        grants.TokenHolder(Holder.STAFF, staff_id=member.id),
        scope="",
        access_ttl_seconds=auth.settings.staff_token_ttl_seconds,
        refresh_ttl_seconds=auth.settings.refresh_token_ttl_seconds,
        rotated_from=rotated_from,
    )
