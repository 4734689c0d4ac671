from __future__ import annotations

from core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "The email or password is incorrect."

    def headers(self) -> dict[str, str]:
        return {}  # a failed login is not a bad bearer token


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "The access token is missing, expired, or not valid here."


class InsufficientRole(Forbidden):
    code = "insufficient_role"
    title = "Your role does not allow this action."


class OperatorAlreadyExists(Conflict):
    code = "operator_already_exists"
    title = "An operator with this email already exists."


class StaffMemberNotFound(NotFound):
    code = "staff_member_not_found"
    title = "The staff member does not exist."


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "The password does not meet the password rules."
