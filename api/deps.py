"""Dependencies: the app state, the unit of work, the tenant, and one dependency per credential kind.

Routes use the ``Annotated`` aliases, so each route's exposure is readable in its signature.
The unit of work commits once, when the endpoint returns and before the response is sent
(``scope="function"``); an exception rolls it back and nothing it queued is delivered.

Reads take ``TenantRead`` instead (``core.db.TenantReader``: no transaction, one round trip per
statement); credentials are checked through it and the per-process credential cache, so an
authenticated read costs one round trip when its credential is cached and two when it is not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header, Request, Response, Security
from fastapi.openapi.models import OAuthFlowAuthorizationCode, OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBearer,
    OAuth2,
    OAuth2PasswordBearer,
    SecurityScopes,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api import idempotency
from api.middleware import TENANT_SCOPE_KEY
from api.state import AppState
from auth import scopes
from auth import storefront as storefront_service
from auth.api_keys import service as api_keys_service
from auth.errors import InvalidToken, MissingScope
from auth.operators import service as operators_service
from auth.operators.models import Operator
from auth.principals import Principal, PrincipalKind
from auth.publishable_keys import service as publishable_keys_service
from auth.secrets import SecretKind, kind_of
from auth.staff import service as staff_service
from core.db import TenantReader
from core.errors import InvalidInput, Problem
from tenants.context import TenantContext, tenant_session
from tenants.errors import TenantRequired


# Dependencies are `async def` even when they await nothing: FastAPI runs plain `def` dependencies in its
# thread pool, two thread hops on every request (measured in bench/README.md).
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.commerce
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_tenant(request: Request) -> TenantContext:
    return _tenant_of(request)


def _tenant_of(request: Request) -> TenantContext:
    tenant: TenantContext | None = request.scope.get("state", {}).get(TENANT_SCOPE_KEY)
    if tenant is None:  # a tenant route mounted outside the tenant prefixes: refuse, never guess
        raise TenantRequired()
    return tenant


Tenant = Annotated[TenantContext, Depends(get_tenant)]


def client_ip(request: Request) -> str | None:
    """The caller's address (behind a proxy: as uvicorn's --proxy-headers resolved it from trusted proxies)."""
    return request.client.host if request.client else None


@asynccontextmanager
async def _committed(db: AsyncSession) -> AsyncIterator[None]:
    """Commit when the endpoint returns; roll back when it raises, unless the problem keeps its changes."""
    try:
        yield
    except Problem as problem:
        if problem.keeps_changes:
            await db.commit()
        raise
    await db.commit()


async def public_unit_of_work(state: State) -> AsyncIterator[AsyncSession]:
    async with state.database.public_session() as db, _committed(db):
        idempotency.enlist(db, public=True)  # the platform surface's Idempotency-Key is claimed in this transaction
        yield db


async def tenant_unit_of_work(state: State, tenant: Tenant) -> AsyncIterator[AsyncSession]:
    async with tenant_session(state.database, tenant) as db, _committed(db):
        idempotency.enlist(db, public=False)  # a tenant surface's Idempotency-Key is claimed in this transaction
        yield db


PublicSession = Annotated[AsyncSession, Depends(public_unit_of_work, scope="function")]
TenantSession = Annotated[AsyncSession, Depends(tenant_unit_of_work, scope="function")]


# The hot path's dependencies read the app state and the tenant from the request themselves rather than
# through State and Tenant: FastAPI solves every sub-dependency on every request (measured: bench/README.md).
async def tenant_reader(request: Request) -> TenantReader:
    state: AppState = request.app.state.commerce
    return state.database.tenant_reader(_tenant_of(request).schema_name)


# The hot read path: Core statements outside any transaction, one round trip each (core.db.TenantReader).
TenantRead = Annotated[TenantReader, Depends(tenant_reader)]

_platform_bearer = HTTPBearer(auto_error=False, scheme_name="PlatformToken", description="Operator token.")
# Two merchant credentials on /admin/v1, either of which a route accepts (OpenAPI lists them as alternatives).
_staff_bearer = OAuth2PasswordBearer(
    tokenUrl="/admin/v1/auth/token",
    scopes=scopes.ADMIN_SCOPES,
    scheme_name="StaffToken",
    description="A staff member's access token (`sat_...`); its scopes follow the member's role.",
    auto_error=False,
)
_api_key_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A merchant secret key (`sk_...`) sent as a bearer token; its scopes are chosen at creation.",
)


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidToken()
    return credentials.credentials


async def current_operator(
    state: State,
    db: PublicSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_platform_bearer)],
) -> Operator:
    return await operators_service.authenticate(db, state.signer, _token(credentials))


CurrentOperator = Annotated[Operator, Depends(current_operator)]


async def merchant_principal(
    required: SecurityScopes,
    request: Request,
    reader: TenantRead,
    _staff_token: Annotated[str | None, Depends(_staff_bearer)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_api_key_bearer)],
) -> Principal:
    """A staff token or an API key of this tenant, holding every scope the route requires (else 403, scope named)."""
    secret = _token(credentials)
    auth, tenant = request.app.state.commerce.auth, _tenant_of(request)
    if kind_of(secret) is SecretKind.API_KEY:
        principal = await api_keys_service.authenticate(reader, auth, tenant, secret)
    else:
        principal = await staff_service.authenticate(reader, auth, tenant, secret)
    for scope in required.scopes:
        principal.require(scope)
    return principal


def StaffScope(scope: str) -> Any:  # noqa: N802 - used like a type: Annotated[Principal, StaffScope("x:write")]
    """A merchant credential (staff token or API key) of this tenant holding ``scope``."""
    return Security(merchant_principal, scopes=[scope])


# One alias per scope a route requires, so each route's exposure reads in its signature.
SettingsRead = Annotated[Principal, StaffScope("settings:read")]
SettingsWrite = Annotated[Principal, StaffScope("settings:write")]
StaffRead = Annotated[Principal, StaffScope("staff:read")]
StaffWrite = Annotated[Principal, StaffScope("staff:write")]
ApiKeysRead = Annotated[Principal, StaffScope("api_keys:read")]
ApiKeysWrite = Annotated[Principal, StaffScope("api_keys:write")]
OAuthClientsRead = Annotated[Principal, StaffScope("oauth_clients:read")]
OAuthClientsWrite = Annotated[Principal, StaffScope("oauth_clients:write")]
ProductsRead = Annotated[Principal, StaffScope("products:read")]
ProductsWrite = Annotated[Principal, StaffScope("products:write")]
EventsRead = Annotated[Principal, StaffScope("events:read")]
CustomersRead = Annotated[Principal, StaffScope("customers:read")]
CustomersWrite = Annotated[Principal, StaffScope("customers:write")]
InventoryRead = Annotated[Principal, StaffScope("inventory:read")]
InventoryWrite = Annotated[Principal, StaffScope("inventory:write")]
OrdersRead = Annotated[Principal, StaffScope("orders:read")]
OrdersWrite = Annotated[Principal, StaffScope("orders:write")]
ShippingRead = Annotated[Principal, StaffScope("shipping:read")]
ShippingWrite = Annotated[Principal, StaffScope("shipping:write")]
TaxesRead = Annotated[Principal, StaffScope("taxes:read")]
TaxesWrite = Annotated[Principal, StaffScope("taxes:write")]
DiscountsRead = Annotated[Principal, StaffScope("discounts:read")]
DiscountsWrite = Annotated[Principal, StaffScope("discounts:write")]


_storefront_oauth = OAuth2(
    flows=OAuthFlows(
        authorizationCode=OAuthFlowAuthorizationCode(
            authorizationUrl="/oauth/authorize",
            tokenUrl="/oauth/token",
            refreshUrl="/oauth/token",
            scopes=scopes.STOREFRONT_SCOPES,
        ),
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl="/oauth/token",
            scopes={scope: scopes.STOREFRONT_SCOPES[scope] for scope in scopes.CLIENT_ONLY_SCOPES},
        ),
    ),
    scheme_name="StorefrontOAuth",
    description="OAuth 2.0 access token (`oat_...`) issued by this tenant's authorization server (/oauth).",
    auto_error=False,
)


async def storefront_principal(
    required: SecurityScopes,
    request: Request,
    reader: TenantRead,
    authorization: Annotated[str | None, Depends(_storefront_oauth)],
) -> Principal:
    """An OAuth access token of this tenant (a storefront client's or a shopper's) holding the required scopes."""
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise InvalidToken()
    auth, tenant = request.app.state.commerce.auth, _tenant_of(request)
    principal = await storefront_service.authenticate(reader, auth, tenant, secret)
    for scope in required.scopes:
        principal.require(scope)
    return principal


async def storefront_customer(principal: Annotated[Principal, Security(storefront_principal)]) -> Principal:
    if principal.kind is not PrincipalKind.CUSTOMER:
        raise MissingScope("customer:profile")
    return principal


_publishable_key = HTTPBearer(
    auto_error=False,
    scheme_name="PublishableKey",
    description="A publishable key (`pk_...`) sent as a bearer token: public catalog reads, safe in a web page.",
)


async def _key_or_token(request: Request, reader: TenantReader, authorization: str | None) -> tuple[Principal, bool]:
    """The publishable key or storefront OAuth token of this tenant in ``Authorization``; True if it is a key."""
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise InvalidToken()
    auth, tenant = request.app.state.commerce.auth, _tenant_of(request)
    if kind_of(secret) is SecretKind.PUBLISHABLE_KEY:
        return await publishable_keys_service.authenticate(reader, auth, tenant, secret), True
    return await storefront_service.authenticate(reader, auth, tenant, secret), False


async def catalog_reader(
    request: Request,
    reader: TenantRead,
    _publishable: Annotated[HTTPAuthorizationCredentials | None, Depends(_publishable_key)],
    authorization: Annotated[str | None, Depends(_storefront_oauth)],
) -> Principal:
    """A publishable key of this tenant, or one of its storefront OAuth tokens holding ``storefront:catalog``."""
    principal, _ = await _key_or_token(request, reader, authorization)
    principal.require("storefront:catalog")
    return principal


async def cart_principal(
    request: Request,
    reader: TenantRead,
    _publishable: Annotated[HTTPAuthorizationCredentials | None, Depends(_publishable_key)],
    authorization: Annotated[str | None, Depends(_storefront_oauth)],
) -> Principal:
    """A publishable key of this tenant (guest carts: a cart is as public as the page that holds the key, and its
    own secret guards it), or one of its storefront OAuth tokens holding ``storefront:carts``."""
    principal, is_key = await _key_or_token(request, reader, authorization)
    if not is_key:
        principal.require("storefront:carts")
    return principal


# Carts: a publishable key, or a storefront token with ``storefront:carts`` (a shopper's makes the shopper's cart).
CartPrincipal = Annotated[Principal, Security(cart_principal, scopes=["storefront:carts"])]

# Public catalog reads: a publishable key or a storefront token with ``storefront:catalog``.
CatalogReader = Annotated[Principal, Security(catalog_reader, scopes=["storefront:catalog"])]

# Any storefront token of this tenant; a shopper's token with a given scope.
StorefrontToken = Annotated[Principal, Security(storefront_principal)]
CustomerToken = Annotated[Principal, Security(storefront_customer)]
CustomerProfile = Annotated[Principal, Security(storefront_customer, scopes=["customer:profile"])]
CustomerOrders = Annotated[Principal, Security(storefront_customer, scopes=["customer:orders"])]


async def signed_in_staff(
    state: State, tenant: Tenant, reader: TenantRead, token: Annotated[str | None, Depends(_staff_bearer)]
) -> Principal:
    """A staff member's own sign-in (never an API key): for acting on the sign-in itself, such as logout."""
    if token is None or kind_of(token) is not SecretKind.STAFF_ACCESS:
        raise InvalidToken("this action needs a staff member's access token")
    return await staff_service.authenticate(reader, state.auth, tenant, token)


CurrentStaff = Annotated[Principal, Depends(signed_in_staff)]


# Versions count changes one by one: a longer number is no version any resource will ever have.
_MAX_VERSION_DIGITS = 18
_NO_VERSION = -1  # what such a number becomes: it matches nothing, so the update is refused with 412


async def if_match_version(
    if_match: Annotated[str | None, Header(description='Version from `version` / ETag, e.g. "3".')] = None,
) -> int | None:
    """``If-Match: "3"`` (or ``3``, or ``W/"3"``) -> 3; absent -> None (no precondition).

    Only ASCII digits are a version (``str.isdigit`` also accepts "²", which ``int`` refuses); a number too long to
    be any resource's version (or for ``int`` to convert) is a version that does not match: 412, never a 500.
    """
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()):
        raise InvalidInput('If-Match must carry the resource version, e.g. "3"')
    if len(value.lstrip("0")) > _MAX_VERSION_DIGITS:
        return _NO_VERSION
    return int(value)


IfMatch = Annotated[int | None, Depends(if_match_version)]


def etag(version: int) -> str:
    """The ``ETag`` of a resource at ``version``: what a client sends back in ``If-Match``."""
    return f'"{version}"'


V = TypeVar("V", bound="Versioned")


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


def tag(response: Response, resource: V) -> V:
    """Set ``resource``'s ``ETag`` on ``response`` and hand the resource back (``return tag(response, found)``)."""
    response.headers["ETag"] = etag(resource.version)
    return resource
