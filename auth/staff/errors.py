"""Problems of staff management. ``StaffMemberNotFound`` and ``InsufficientRole`` live in ``auth.errors``."""

from __future__ import annotations

from core.errors import Conflict, Forbidden, InvalidInput


class StaffMemberAlreadyExists(Conflict):
    code = "staff_member_already_exists"
    title = "A staff member with this email already exists."


class OwnerRoleLocked(Conflict):
    code = "owner_role_locked"
    title = "The owner's role cannot be changed; transfer ownership first."


class OwnerCannotBeDeactivated(Conflict):
    code = "owner_cannot_be_deactivated"
    title = "The owner cannot be deactivated; transfer ownership first."


class OwnerRoleNotAssignable(InvalidInput):
    code = "owner_role_not_assignable"
    title = "Nobody can be made owner here; ownership moves only by transfer."


class InvitationNotPending(Conflict):
    code = "invitation_not_pending"
    title = "The staff member has no pending invitation (already accepted, or deactivated)."


class OwnerOnly(Forbidden):
    code = "owner_only"
    title = "Only the shop's owner, signed in as themselves, may do this."


class InvalidOwnershipTarget(Conflict):
    code = "invalid_ownership_target"
    title = "Ownership can only go to another active staff member who has accepted their invitation."
