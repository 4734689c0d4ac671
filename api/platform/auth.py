from __future__ import annotations

from fastapi import APIRouter

from api.deps import PublicSession, State
from api.problems import problems
from auth.errors import InvalidCredentials
from auth.operators import service as operators_service
from auth.operators.schemas import AccessTokenRead, OperatorLogin
from auth.operators.tokens import IssuedToken

router = APIRouter(prefix="/auth", tags=["platform: auth"])


@router.post(
    "/token",
    response_model=AccessTokenRead,
    operation_id="platform_auth_token",
    responses=problems(InvalidCredentials),
)
async def create_platform_token(body: OperatorLogin, state: State, db: PublicSession) -> IssuedToken:
    """Exchange an operator's email and password for a short-lived bearer token (audience `platform`)."""
    return await operators_service.issue_token(
        db, state.auth.passwords, state.signer, email=body.email, password=body.password
    )
