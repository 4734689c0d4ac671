"""The grants this server speaks, each stricter than authlib's default: authorization code (PKCE S256 required,
registered scopes only, ``oac_`` codes), refresh token (rotation), client credentials (client-only scopes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749 import grants as authlib_grants
from authlib.oauth2.rfc7636 import CodeChallenge

from auth import scopes
from auth.customers.models import Customer
from auth.grants import service as grants
from auth.oauth.records import ALL_METHODS, SECRET_METHODS, AuthlibClient, AuthlibCode, AuthlibToken
from auth.oauth.wire import AuthlibRequest
from auth.secrets import SecretKind, new_secret

if TYPE_CHECKING:
    from auth.oauth.server import TenantOAuthServer


def reject_unregistered_scopes(requested: str | None, allowed: frozenset[str] | list[str]) -> None:
    refused = scopes.unknown(scopes.parse(requested), allowed)
    if refused:
        raise InvalidScopeError(description=f"scopes not allowed for this client: {' '.join(refused)}")


class RequireS256(CodeChallenge):  # type: ignore[misc]
    """PKCE on every authorization request, S256 only (OAuth 2.1; RFC 9700 §2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - authlib's class attribute

    def validate_code_challenge(self, grant: authlib_grants.AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(authlib_grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_METHODS
    server: TenantOAuthServer

    def validate_requested_scope(self) -> None:
        reject_unregistered_scopes(self.request.payload.scope, self.request.client.row.scopes)

    def generate_authorization_code(self) -> str:
        # Our prefix, like every secret we issue: the log redactor recognises a leaked code by it.
        return new_secret(SecretKind.AUTHORIZATION_CODE)

    def save_authorization_code(self, code: str, request: AuthlibRequest) -> None:
        data = request.payload.data
        self.server.call(
            self.server.store.save_code,
            code,
            request.client.row,
            request.user,
            request.payload.redirect_uri,
            request.scope,
            data["code_challenge"],
            data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: AuthlibClient) -> AuthlibCode | None:
        row = self.server.call(self.server.store.redeem_code, code, client.row)
        return AuthlibCode(row) if row else None

    def delete_authorization_code(self, authorization_code: AuthlibCode) -> None:
        pass  # redeem_code already marked it used: kept, so that a replay can be recognised

    def authenticate_user(self, authorization_code: AuthlibCode) -> Customer | None:
        return self.server.call(self.server.store.customer, authorization_code.row.customer_id)


class RefreshTokenGrant(authlib_grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh token works once
    server: TenantOAuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> AuthlibToken | None:
        row = self.server.call(self.server.store.refresh_token, refresh_token)
        return AuthlibToken(row, is_refresh=True) if row else None

    def authenticate_user(self, refresh_token: AuthlibToken) -> Customer | None:
        customer_id = refresh_token.row.customer_id
        return self.server.call(self.server.store.customer, customer_id) if customer_id else None

    def revoke_old_credential(self, refresh_token: AuthlibToken) -> None:
        self.server.call(grants.mark_rotated, self.server.store.db, refresh_token.row)


class ClientCredentialsGrant(authlib_grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS

    def validate_requested_scope(self) -> None:
        reject_unregistered_scopes(self.request.payload.scope, client_only_scopes(self.request.client))


def client_only_scopes(client: AuthlibClient) -> frozenset[str]:
    """A client acting for itself never gets a shopper's scope."""
    return frozenset(client.row.scopes) & scopes.CLIENT_ONLY_SCOPES
