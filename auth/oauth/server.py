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

import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749 import grants as authlib_grants
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.customers import repository as customers_repository
from auth.customers.models import Customer
from auth.errors import InvalidRefreshToken
from auth.grants import service as grants
from auth.grants.models import Holder, Token
from auth.oauth import repository
from auth.oauth.models import AuthorizationCode, ClientKind, OAuthClient
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, new_secret
from core.clock import utcnow
from core.validation import control_character
from tenants.context import TenantContext

T = TypeVar("T")

GRANT_TYPES: dict[ClientKind, frozenset[str]] = {
    ClientKind.PUBLIC: frozenset({"authorization_code", "refresh_token"}),
    ClientKind.CONFIDENTIAL: frozenset({"authorization_code", "refresh_token", "client_credentials"}),
}
_STOREFRONT_HOLDERS = frozenset({Holder.CUSTOMER, Holder.CLIENT})
_SECRET_METHODS = ("client_secret_basic", "client_secret_post")
_ALL_METHODS = (*_SECRET_METHODS, "none")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request, as much of it as OAuth needs, whatever framework received it."""

    method: str
    url: str
    headers: Mapping[str, str]  # case-insensitive, as the framework's own
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: Any  # a JSON object, or "" for redirects
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name.lower() == "location"), None)


async def run_sync(call: Callable[[], T]) -> T:
    """Run authlib (synchronous) in a worker thread; its hooks reach the database back on the event loop."""
    return await anyio.to_thread.run_sync(call)


def _on_loop(function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    return anyio.from_thread.run(function, *args)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, http: HttpRequest) -> None:
        # The transport was checked by the caller (settings decide whether plain HTTP is allowed in
        # development); authlib's own check would raise outside its error handling.
        parts = urlsplit(http.url)
        super().__init__(http.method, urlunsplit(("https", *parts[1:])), headers=http.headers)
        self._args = {name: value for name, value in reversed(http.query)}
        self._form = {name: value for name, value in reversed(http.form)}
        self.payload = _Payload([*http.query, *http.form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient, server: TenantOAuthServer) -> None:
        self.row = row
        self._server = server

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required and compared exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        # Unregistered scopes were already rejected (_reject_unregistered_scopes); none asked: all registered.
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
        return method in _SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES[self.row.kind]


class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class _Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: Token, *, is_refresh: bool) -> None:
        self.row = row
        self.is_refresh = is_refresh

    def check_client(self, client: _Client) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def is_expired(self) -> bool:
        expires_at = self.row.refresh_expires_at if self.is_refresh else self.row.access_expires_at
        return expires_at is None or expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.is_refresh and self.row.rotated_at is not None)


def _reject_unregistered_scopes(requested: str | None, allowed: frozenset[str] | list[str]) -> None:
    refused = scopes.unknown(scopes.parse(requested), allowed)
    if refused:
        raise InvalidScopeError(description=f"scopes not allowed for this client: {' '.join(refused)}")


class _RequireS256(CodeChallenge):  # type: ignore[misc]
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


class _AuthorizationCodeGrant(authlib_grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _ALL_METHODS
    server: TenantOAuthServer

    def validate_requested_scope(self) -> None:
        _reject_unregistered_scopes(self.request.payload.scope, self.request.client.row.scopes)

    def generate_authorization_code(self) -> str:
        # Our prefix, like every secret we issue: the log redactor recognises a leaked code by it.
        return new_secret(SecretKind.AUTHORIZATION_CODE)

    def save_authorization_code(self, code: str, request: _Request) -> None:
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

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        row = self.server.call(self.server.store.redeem_code, code, client.row)
        return _Code(row) if row else None

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        pass  # redeem_code already marked it used: kept, so that a replay can be recognised

    def authenticate_user(self, authorization_code: _Code) -> Customer | None:
        return self.server.call(self.server.store.customer, authorization_code.row.customer_id)


class _RefreshTokenGrant(authlib_grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _ALL_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh token works once
    server: TenantOAuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        row = self.server.call(self.server.store.refresh_token, refresh_token)
        return _Token(row, is_refresh=True) if row else None

    def authenticate_user(self, refresh_token: _Token) -> Customer | None:
        customer_id = refresh_token.row.customer_id
        return self.server.call(self.server.store.customer, customer_id) if customer_id else None

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        self.server.call(grants.mark_rotated, self.server.store.db, refresh_token.row)


class _ClientCredentialsGrant(authlib_grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _SECRET_METHODS

    def validate_requested_scope(self) -> None:
        _reject_unregistered_scopes(self.request.payload.scope, _client_only_scopes(self.request.client))


def _client_only_scopes(client: _Client) -> frozenset[str]:
    """A client acting for itself never gets a shopper's scope."""
    return frozenset(client.row.scopes) & scopes.CLIENT_ONLY_SCOPES


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009. Revoking either token of a grant revokes the whole grant (its family)."""

    CLIENT_AUTH_METHODS = _ALL_METHODS
    server: TenantOAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        return self.server.find_token(token_string)

    def revoke_token(self, token: _Token, request: _Request) -> None:
        self.server.call(grants.revoke_family, self.server.store.db, token.row.family_id)


class _Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662, for the tenant's confidential clients (its resource servers).

    Tokens of other tenants hash differently and are not found here: ``{"active": false}``.
    """

    CLIENT_AUTH_METHODS = _SECRET_METHODS
    server: TenantOAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        return self.server.find_token(token_string)

    def check_permission(self, token: _Token, client: _Client, request: _Request) -> bool:
        return True

    def introspect_token(self, token: _Token) -> dict[str, Any]:
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


@dataclass
class OAuthStore:
    """The storage authlib's hooks reach, on the request's session (async: called on the event loop)."""

    db: AsyncSession
    auth: AuthRuntime
    tenant: TenantContext

    async def client(self, client_id: str) -> OAuthClient | None:
        if control_character(client_id) is not None:  # from a Basic header, which no schema validates: no such client
            return None
        return await repository.get_live_client_by_client_id(self.db, client_id)

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return await customers_repository.get(self.db, customer_id)

    async def save_code(
        self,
        code: str,
        client: OAuthClient,
        customer: Customer,
        redirect_uri: str,
        scope: str,
        challenge: str,
        method: str,
    ) -> None:
        self.db.add(
            AuthorizationCode(
                code_hash=self.auth.hasher.hash(code, tenant_id=self.tenant.id),
                client_id=client.id,
                customer_id=customer.id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=challenge,
                code_challenge_method=method,
                expires_at=utcnow() + timedelta(seconds=self.auth.settings.authorization_code_ttl_seconds),
            )
        )
        await self.db.flush()

    async def redeem_code(self, code: str, client: OAuthClient) -> AuthorizationCode | None:
        """The code, marked used, if this client may redeem it now. A second redemption revokes what the first issued."""
        row = await repository.get_code_by_hash(self.db, self.auth.hasher.hash(code, tenant_id=self.tenant.id))
        if row is None or row.client_id != client.id:
            return None
        if row.used_at is not None:
            await grants.revoke_issued_by_code(self.db, row.id)
            return None
        if row.expires_at <= utcnow():
            return None
        row.used_at = utcnow()
        await self.db.flush()
        return row

    async def refresh_token(self, refresh_token: str) -> Token | None:
        """The usable refresh token; a rotated one presented again (reuse) revokes its family and is refused."""
        try:
            return await grants.spend_refresh(
                self.db, self.auth.hasher, self.tenant.id, refresh_token, holders=_STOREFRONT_HOLDERS
            )
        except InvalidRefreshToken:  # reuse included: its family is already revoked; authlib answers invalid_grant
            return None

    async def find(self, secret: str) -> tuple[Token, bool] | None:
        row = await grants.find_by_secret(self.db, self.auth.hasher, self.tenant.id, secret)
        if row is None or row.holder is Holder.STAFF:
            return None
        return row, row.access_token_hash != self.auth.hasher.hash(secret, tenant_id=self.tenant.id)

    async def save(self, token: dict[str, Any], request: _Request) -> None:
        client: OAuthClient = request.client.row
        customer: Customer | None = request.user
        if customer is not None:
            holder = grants.TokenHolder(Holder.CUSTOMER, customer_id=customer.id, client_id=client.id)
        else:
            holder = grants.TokenHolder(Holder.CLIENT, client_id=client.id)
        code: _Code | None = request.authorization_code
        previous: _Token | None = request.refresh_token
        await grants.store(
            self.db,
            self.auth.hasher,
            self.tenant.id,
            holder,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            scope=token["scope"],
            access_ttl_seconds=self.auth.settings.oauth_access_token_ttl_seconds,
            refresh_ttl_seconds=self.auth.settings.refresh_token_ttl_seconds,
            rotated_from=previous.row if previous else None,
            authorization_code_id=code.row.id if code else None,
        )


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
        self.call = _on_loop
        self.register_token_generator("default", self._generate_token)
        self.register_grant(_AuthorizationCodeGrant, [_RequireS256(required=True)])
        self.register_grant(_RefreshTokenGrant)
        self.register_grant(_ClientCredentialsGrant)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_Introspection)

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

    def query_client(self, client_id: str) -> _Client | None:
        row = self.call(self.store.client, client_id)
        return _Client(row, self) if row else None

    def find_token(self, secret: str) -> _Token | None:
        found = self.call(self.store.find, secret)
        return _Token(found[0], is_refresh=found[1]) if found else None

    def save_token(self, token: dict[str, Any], request: _Request) -> None:
        self.call(self.store.save, token, request)

    def _generate_token(
        self,
        grant_type: str,
        client: _Client,
        user: Customer | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if not scope:  # nothing asked: what the client is registered for (for itself: the client scopes only)
            allowed = _client_only_scopes(client) if user is None else frozenset(client.row.scopes)
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

    def create_oauth2_request(self, request: HttpRequest | _Request) -> _Request:
        return request if isinstance(request, _Request) else _Request(request)

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
        "token_endpoint_auth_methods_supported": list(_ALL_METHODS),
        "revocation_endpoint_auth_methods_supported": list(_ALL_METHODS),
        "introspection_endpoint_auth_methods_supported": list(_SECRET_METHODS),
        "scopes_supported": sorted(scopes.STOREFRONT_SCOPES),
    }
