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


class MissingScope(Forbidden):
    code = "insufficient_scope"
    title = "The credential lacks the scope this action requires."

    def __init__(self, scope: str) -> None:
        super().__init__(f"this action requires the scope {scope!r}", required_scope=scope)
        self.scope = scope

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{self.scope}"'}


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    title = "The refresh token is expired, revoked or unknown."


class RefreshTokenReused(InvalidRefreshToken):
    """A spent refresh token came back: its whole family is revoked, and that revocation must commit."""

    code = "refresh_token_reused"
    title = "The refresh token was already used; every token of this sign-in is revoked."
    keeps_changes = True


class InvalidActionToken(InvalidInput):
    code = "invalid_action_token"
    title = "The link is expired, already used or not valid."


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
