"""Our rows as authlib sees them: a client, an authorization code, a token; the grant types and client
authentication methods each kind of client may use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    TokenMixin,
)

from auth import scopes
from auth.grants.models import Token
from auth.oauth.models import AuthorizationCode, ClientKind, OAuthClient
from core.clock import utcnow

if TYPE_CHECKING:
    from auth.oauth.server import TenantOAuthServer


GRANT_TYPES: dict[ClientKind, frozenset[str]] = {
    ClientKind.PUBLIC: frozenset({"authorization_code", "refresh_token"}),
    ClientKind.CONFIDENTIAL: frozenset({"authorization_code", "refresh_token", "client_credentials"}),
}
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
ALL_METHODS = (*SECRET_METHODS, "none")


class AuthlibClient(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient, server: TenantOAuthServer) -> None:
        self.row = row
        self._server = server

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required and compared exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        # Unregistered scopes were already rejected (reject_unregistered_scopes); none asked: all registered.
        return " ".join(scopes.parse(scope) or sorted(self.row.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        expected = self.row.secret_hash
        return expected is not None and self._server.auth.hasher.matches(
            client_secret, expected, tenant_id=self._server.tenant.id
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.kind is ClientKind.PUBLIC:
            return method == "none" and endpoint in ("token", "revocation")
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES[self.row.kind]


class AuthlibCode(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class AuthlibToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: Token, *, is_refresh: bool) -> None:
        self.row = row
        self.is_refresh = is_refresh

    def check_client(self, client: AuthlibClient) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def is_expired(self) -> bool:
        expires_at = self.row.refresh_expires_at if self.is_refresh else self.row.access_expires_at
        return expires_at is None or expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.is_refresh and self.row.rotated_at is not None)
