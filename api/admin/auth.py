from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from api.deps import CurrentStaff, State, Tenant, TenantSession, client_ip
from api.headers import no_store
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InvalidCredentials, InvalidRefreshToken, InvalidToken, RefreshTokenReused
from auth.grants.service import IssuedTokens
from auth.staff import service as staff_service
from auth.staff.schemas import StaffLogin, StaffRefresh, StaffTokenRead
from core.errors import TooManyAttempts

router = APIRouter(route_class=IdempotentRoute, prefix="/auth", tags=["admin: auth"])


def token_read(issued: IssuedTokens) -> StaffTokenRead:
    assert issued.refresh_token is not None  # staff sign-ins always come with a refresh token
    return StaffTokenRead(
        access_token=issued.access_token, expires_in=issued.expires_in, refresh_token=issued.refresh_token
    )


@router.post(
    "/token",
    response_model=StaffTokenRead,
    operation_id="admin_auth_token",
    responses=problems(InvalidCredentials, TooManyAttempts),
    dependencies=[Depends(no_store)],
)
async def create_staff_token(
    body: StaffLogin, request: Request, state: State, tenant: Tenant, db: TenantSession
) -> StaffTokenRead:
    """Sign in: a staff member's email and password, on the tenant's host, for tokens bound to that tenant.

    Repeated failures are slowed per account and per client address (429 with `Retry-After`).
    """
    issued = await staff_service.sign_in(
        db, state.auth, tenant, email=body.email, password=body.password, ip=client_ip(request)
    )
    return token_read(issued)


@router.post(
    "/refresh",
    response_model=StaffTokenRead,
    operation_id="admin_auth_refresh",
    responses=problems(InvalidRefreshToken, RefreshTokenReused),
    dependencies=[Depends(no_store)],
)
async def refresh_staff_token(body: StaffRefresh, state: State, tenant: Tenant, db: TenantSession) -> StaffTokenRead:
    """Exchange a refresh token for a new pair. Each refresh token works once; a second use revokes the sign-in."""
    return token_read(await staff_service.refresh(db, state.auth, tenant, body.refresh_token))


@router.post("/logout", status_code=204, operation_id="admin_auth_logout", responses=problems(InvalidToken))
async def sign_out_staff(staff: CurrentStaff, db: TenantSession) -> Response:
    """Sign out: the access token and every refresh token of this sign-in stop working at once."""
    await staff_service.sign_out(db, staff)
    return Response(status_code=204)
