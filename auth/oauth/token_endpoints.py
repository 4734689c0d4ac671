"""Token revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from auth.grants import service as grants
from auth.oauth import repository
from auth.oauth.records import ALL_METHODS, SECRET_METHODS, AuthlibClient, AuthlibToken
from auth.oauth.wire import AuthlibRequest

if TYPE_CHECKING:
    from auth.oauth.server import TenantOAuthServer


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009. Revoking either token of a grant revokes the whole grant (its family)."""

    CLIENT_AUTH_METHODS = ALL_METHODS
    server: TenantOAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> AuthlibToken | None:
        return self.server.find_token(token_string)

    def revoke_token(self, token: AuthlibToken, request: AuthlibRequest) -> None:
        self.server.call(grants.revoke_family, self.server.store.db, token.row.family_id)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662, for the tenant's confidential clients (its resource servers).

    Tokens of other tenants hash differently and are not found here: ``{"active": false}``.
    """

    CLIENT_AUTH_METHODS = SECRET_METHODS
    server: TenantOAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> AuthlibToken | None:
        return self.server.find_token(token_string)

    def check_permission(self, token: AuthlibToken, client: AuthlibClient, request: AuthlibRequest) -> bool:
        return True

    def introspect_token(self, token: AuthlibToken) -> dict[str, Any]:
        row = token.row
        client = self.server.call(repository.get_live_client, self.server.store.db, row.client_id)
        expires_at = row.refresh_expires_at if token.is_refresh else row.access_expires_at
        return {
            "active": client is not None,
            "scope": row.scope,
            "client_id": client.client_id if client else None,
            "token_type": "refresh_token" if token.is_refresh else "Bearer",
            "sub": str(row.customer_id) if row.customer_id else (client.client_id if client else None),
            "exp": int(expires_at.timestamp()) if expires_at else None,
            "iat": int(row.created_at.timestamp()),
            "iss": self.server.issuer,
        }
