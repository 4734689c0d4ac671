from __future__ import annotations

from fastapi import APIRouter

from api.deps import State, Tenant, TenantSession
from api.problems import problems
from auth.errors import InvalidCredentials
from auth.operators.schemas import AccessTokenRead
from auth.staff import service as staff_service
from auth.staff.schemas import StaffLogin
from auth.tokens import IssuedToken

router = APIRouter(prefix="/auth", tags=["admin: auth"])


@router.post(
    "/token",
    response_model=AccessTokenRead,
    operation_id="admin_auth_token",
    responses=problems(InvalidCredentials),
)
async def create_staff_token(body: StaffLogin, state: State, tenant: Tenant, db: TenantSession) -> IssuedToken:
    """Exchange a staff member's email and password, on the tenant's host, for a token bound to that tenant."""
    return await staff_service.issue_token(
        db, state.passwords, state.signer, tenant, email=body.email, password=body.password
    )
