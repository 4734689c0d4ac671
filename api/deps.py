"""Dependencies: the app state, the unit of work, the tenant, and one dependency per credential kind.

Routes use the ``Annotated`` aliases, so each route's exposure is readable in its signature.
The unit of work commits once, when the endpoint returns and before the response is sent
(``scope="function"``); an exception rolls it back and nothing it queued is delivered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from api.middleware import TENANT_SCOPE_KEY
from api.state import AppState
from auth.errors import InvalidToken
from auth.operators import service as operators_service
from auth.operators.models import Operator
from auth.staff import service as staff_service
from auth.staff.models import StaffMember
from core.errors import InvalidInput
from tenants.context import TenantContext, tenant_session
from tenants.errors import TenantRequired


# Dependencies are `async def` even when they await nothing: FastAPI runs plain `def` dependencies in its
# thread pool, two thread hops on every request (measured in bench/README.md).
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.commerce
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_tenant(request: Request) -> TenantContext:
    tenant: TenantContext | None = request.scope.get("state", {}).get(TENANT_SCOPE_KEY)
    if tenant is None:  # a tenant route mounted outside the tenant prefixes: refuse, never guess
        raise TenantRequired()
    return tenant


Tenant = Annotated[TenantContext, Depends(get_tenant)]


async def public_unit_of_work(state: State) -> AsyncIterator[AsyncSession]:
    async with state.database.public_session() as db:
        yield db
        await db.commit()


async def tenant_unit_of_work(state: State, tenant: Tenant) -> AsyncIterator[AsyncSession]:
    async with tenant_session(state.database, tenant) as db:
        yield db
        await db.commit()


PublicSession = Annotated[AsyncSession, Depends(public_unit_of_work, scope="function")]
TenantSession = Annotated[AsyncSession, Depends(tenant_unit_of_work, scope="function")]

_platform_bearer = HTTPBearer(auto_error=False, scheme_name="PlatformToken", description="Operator token.")
_staff_bearer = HTTPBearer(auto_error=False, scheme_name="StaffToken", description="Staff token of the tenant.")


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


async def current_staff(
    state: State,
    tenant: Tenant,
    db: TenantSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_staff_bearer)],
) -> StaffMember:
    return await staff_service.authenticate(db, state.signer, tenant, _token(credentials))


CurrentOperator = Annotated[Operator, Depends(current_operator)]
CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


async def if_match_version(
    if_match: Annotated[str | None, Header(description='Version from `version` / ETag, e.g. "3".')] = None,
) -> int | None:
    """``If-Match: "3"`` (or ``3``, or ``W/"3"``) -> 3; absent -> None (no precondition)."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput('If-Match must carry the resource version, e.g. "3"')
    return int(value)


IfMatch = Annotated[int | None, Depends(if_match_version)]
