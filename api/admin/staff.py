from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.admin.auth import token_read
from api.deps import StaffRead, StaffWrite, State, Tenant, TenantSession
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InsufficientRole, InvalidActionToken, StaffMemberNotFound, WeakPassword
from auth.staff import service as staff_service
from auth.staff.errors import (
    InvalidOwnershipTarget,
    InvitationNotPending,
    OwnerCannotBeDeactivated,
    OwnerOnly,
    OwnerRoleLocked,
    OwnerRoleNotAssignable,
    StaffMemberAlreadyExists,
)
from auth.staff.models import StaffMember
from auth.staff.schemas import (
    InvitationAccept,
    OwnershipTransfer,
    StaffInvite,
    StaffMemberRead,
    StaffTokenRead,
    StaffUpdate,
)
from core.errors import InvalidCursor
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/staff", tags=["admin: staff"])


@router.get("", response_model=Page[StaffMemberRead], operation_id="staff_list", responses=problems(InvalidCursor))
async def list_staff_members(
    db: TenantSession,
    staff: StaffRead,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    starting_after: Annotated[Text | None, Query(description="Id of the last member of the previous page.")] = None,
) -> Page[StaffMemberRead]:
    """The team (active, deactivated and invited members) in the order they joined, a page at a time."""
    rows, has_more = await staff_service.list_members(db, limit=limit, starting_after=starting_after)
    return Page[StaffMemberRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


# A route-level status replaces the router's entry for that status: repeat the tenant surface's 404.
@router.get(
    "/{staff_id}",
    response_model=StaffMemberRead,
    operation_id="staff_get",
    responses=problems(StaffMemberNotFound, TenantNotFound),
)
async def get_staff_member(staff_id: uuid.UUID, db: TenantSession, staff: StaffRead) -> StaffMember:
    return await staff_service.get_member(db, staff_id)


@router.post(
    "/invitations",
    status_code=201,
    response_model=StaffMemberRead,
    operation_id="staff_invite",
    responses=problems(StaffMemberAlreadyExists, OwnerRoleNotAssignable, InsufficientRole),
)
async def invite_staff_member(body: StaffInvite, db: TenantSession, staff: StaffWrite) -> StaffMember:
    """Invite someone to the team: they are mailed a single-use link to set their password.

    The member exists at once, pending (`invitation_pending`), and cannot sign in until they accept.
    """
    return await staff_service.invite(db, body, actor=staff)


@router.post(
    "/invitations/accept",
    response_model=StaffTokenRead,
    operation_id="staff_accept_invitation",
    responses=problems(InvalidActionToken, WeakPassword),
)
async def accept_staff_invitation(
    body: InvitationAccept, state: State, tenant: Tenant, db: TenantSession
) -> StaffTokenRead:
    """Accept an invitation with the token from its mail and a password; answers with a signed-in session.

    No bearer token: the invitation token is the credential. It works once.
    """
    return token_read(await staff_service.accept_invitation(db, state.auth, tenant, body))


@router.post(
    "/{staff_id}/invitation",
    status_code=202,
    response_model=StaffMemberRead,
    operation_id="staff_resend_invitation",
    responses=problems(StaffMemberNotFound, TenantNotFound, InvitationNotPending, InsufficientRole),
)
async def resend_staff_invitation(staff_id: uuid.UUID, db: TenantSession, staff: StaffWrite) -> StaffMember:
    """Mail a pending member a new invitation; the links sent before stop working."""
    return await staff_service.resend_invitation(db, staff_id, actor=staff)


@router.patch(
    "/{staff_id}",
    response_model=StaffMemberRead,
    operation_id="staff_update",
    responses=problems(StaffMemberNotFound, TenantNotFound, OwnerRoleLocked, OwnerRoleNotAssignable, InsufficientRole),
)
async def update_staff_member(
    staff_id: uuid.UUID, body: StaffUpdate, db: TenantSession, staff: StaffWrite
) -> StaffMember:
    """Change a member's name or role. The owner's role is locked (transfer ownership instead)."""
    return await staff_service.update_member(db, staff_id, body, actor=staff)


@router.post(
    "/{staff_id}/deactivate",
    response_model=StaffMemberRead,
    operation_id="staff_deactivate",
    responses=problems(StaffMemberNotFound, TenantNotFound, OwnerCannotBeDeactivated, InsufficientRole),
)
async def deactivate_staff_member(staff_id: uuid.UUID, db: TenantSession, staff: StaffWrite) -> StaffMember:
    """Lock a member out: every token they hold stops working at once."""
    return await staff_service.deactivate(db, staff_id, actor=staff)


@router.post(
    "/{staff_id}/reactivate",
    response_model=StaffMemberRead,
    operation_id="staff_reactivate",
    responses=problems(StaffMemberNotFound, TenantNotFound, InsufficientRole),
)
async def reactivate_staff_member(staff_id: uuid.UUID, db: TenantSession, staff: StaffWrite) -> StaffMember:
    """Let a deactivated member sign in again (their old tokens stay revoked)."""
    return await staff_service.reactivate(db, staff_id, actor=staff)


@router.post(
    "/transfer-ownership",
    response_model=StaffMemberRead,
    operation_id="staff_transfer_ownership",
    responses=problems(OwnerOnly, StaffMemberNotFound, TenantNotFound, InvalidOwnershipTarget),
)
async def transfer_ownership(body: OwnershipTransfer, db: TenantSession, staff: StaffWrite) -> StaffMember:
    """Make another active member the owner; you become an admin. Only the owner, with their own sign-in
    (not an API key), may do this. Answers with the new owner."""
    return await staff_service.transfer_ownership(db, body.staff_id, actor=staff)
