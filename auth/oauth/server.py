"""The OAuth 2.0 authorization server of a tenant, on authlib's server core.

authlib ships server integrations for Flask and Django only, and its server API is synchronous.
This module is the whole integration, kept free of any web framework: the API hands it a plain
``HttpRequest`` and gets an ``HttpResponse`` back. authlib runs in a worker thread (``run_sync``);
each of its storage hooks hops back to the event loop (``anyio.from_thread.run``) and uses the
request's own async session, so one transaction covers the whole exchange.

Where authlib is lenient by default, this server is strict:

- PKCE with ``S256`` is required on every authorization request (``plain`` and absent methods are
  refused), and the verifier on every code exchange.
- A scope the client was not registered for is rejected (``invalid_scope``), never silently narrowed.
- ``redirect_uri`` is required and must equal a registered URI exactly.
- A replayed authorization code revokes every token it issued; a replayed refresh token revokes its
  whole family (RFC 9700 §4.14).
- No implicit grant, no password grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    OAuth2Error,
)

from auth import scopes
from auth.customers.models import Customer
from auth.grants import service as grants
from auth.grants.models import Holder
from auth.oauth.grant_types import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    RequireS256,
    client_only_scopes,
)
from auth.oauth.models import ClientKind, OAuthClient
from auth.oauth.records import ALL_METHODS, GRANT_TYPES, SECRET_METHODS, AuthlibClient, AuthlibToken
from auth.oauth.store import OAuthStore
from auth.oauth.token_endpoints import Introspection, Revocation
from auth.oauth.wire import AuthlibRequest, HttpRequest, HttpResponse, on_loop


@dataclass(frozen=True, slots=True)
class AuthorizationCheck:
    """The outcome of validating an authorization request, before the shopper decides.

    Exactly one of: ``grant`` (valid: ask or decide), ``redirect`` (an error the client may receive at its
    verified redirect URI), ``error`` (the client or redirect URI is not valid: show it, never redirect).
    """

    grant: Any = None
    client: OAuthClient | None = None
    scopes: tuple[str, ...] = ()
    redirect: HttpResponse | None = None
    error: str | None = None  # an RFC 6749 error code


class TenantOAuthServer(AuthorizationServer):  # type: ignore[misc]
    """One per request: bound to the tenant, its session, and the issuer (the tenant's origin)."""

    def __init__(self, store: OAuthStore, *, issuer: str) -> None:
        super().__init__(scopes_supported=list(scopes.STOREFRONT_SCOPES))
        self.store = store
        self.auth = store.auth
        self.tenant = store.tenant
        self.issuer = issuer
        self.call = on_loop
        self.register_token_generator("default", self._generate_token)
        self.register_grant(AuthorizationCodeGrant, [RequireS256(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def check_authorization(self, request: HttpRequest, customer: Customer | None) -> AuthorizationCheck:
        try:
            grant = self.get_consent_grant(request, end_user=customer)
        except OAuth2Error as error:
            if error.redirect_uri:
                return AuthorizationCheck(redirect=self.handle_error_response(None, error))
            return AuthorizationCheck(error=error.error)  # the code only: descriptions echo request input
        return AuthorizationCheck(grant=grant, client=grant.client.row, scopes=tuple(scopes.parse(grant.request.scope)))

    def decide(self, check: AuthorizationCheck, customer: Customer | None) -> HttpResponse:
        """Issue a code to the client's redirect URI for ``customer``, or ``access_denied`` when None."""
        response: HttpResponse = self.create_authorization_response(
            request=check.grant.request, grant_user=customer, grant=check.grant
        )
        return response

    def query_client(self, client_id: str) -> AuthlibClient | None:
        row = self.call(self.store.client, client_id)
        return AuthlibClient(row, self) if row else None

    def find_token(self, secret: str) -> AuthlibToken | None:
        found = self.call(self.store.find, secret)
        return AuthlibToken(found[0], is_refresh=found[1]) if found else None

    def save_token(self, token: dict[str, Any], request: AuthlibRequest) -> None:
        self.call(self.store.save, token, request)

    def _generate_token(
        self,
        grant_type: str,
        client: AuthlibClient,
        user: Customer | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if not scope:  # nothing asked: what the client is registered for (for itself: the client scopes only)
            allowed = client_only_scopes(client) if user is None else frozenset(client.row.scopes)
            scope = " ".join(sorted(allowed))
        holder = Holder.CLIENT if user is None else Holder.CUSTOMER
        access, refresh = grants.new_token_pair(holder, with_refresh=include_refresh_token and user is not None)
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": self.auth.settings.oauth_access_token_ttl_seconds,
            "scope": scope,
        }
        if refresh is not None:
            token["refresh_token"] = refresh
        return token

    def create_oauth2_request(self, request: HttpRequest | AuthlibRequest) -> AuthlibRequest:
        return request if isinstance(request, AuthlibRequest) else AuthlibRequest(request)

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> HttpResponse:
        return HttpResponse(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 authorization server metadata. No ID tokens are issued, so there is no OpenID discovery or JWKS."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "end_session_endpoint": f"{issuer}/oauth/end-session",
        "prompt_values_supported": ["none", "login", "consent"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": sorted(GRANT_TYPES[ClientKind.CONFIDENTIAL]),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(ALL_METHODS),
        "revocation_endpoint_auth_methods_supported": list(ALL_METHODS),
        "introspection_endpoint_auth_methods_supported": list(SECRET_METHODS),
        "scopes_supported": sorted(scopes.STOREFRONT_SCOPES),
    }
