from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from api.deps import PublicSession, State, client_ip
from api.headers import no_store
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InvalidCredentials
from auth.operators import service as operators_service
from auth.operators.schemas import AccessTokenRead, OperatorLogin
from auth.operators.tokens import IssuedToken
from core.errors import TooManyAttempts

router = APIRouter(route_class=IdempotentRoute, prefix="/auth", tags=["platform: auth"])


@router.post(
    "/token",
    response_model=AccessTokenRead,
    operation_id="platform_auth_token",
    responses=problems(InvalidCredentials, TooManyAttempts),
    dependencies=[Depends(no_store)],
)
async def create_platform_token(body: OperatorLogin, request: Request, state: State, db: PublicSession) -> IssuedToken:
    """Exchange an operator's email and password for a short-lived bearer token (audience `platform`).

    Repeated failures are slowed per account and per client address (429 with `Retry-After`).
    """
    return await operators_service.issue_token(
        db, state.auth, state.signer, email=body.email, password=body.password, ip=client_ip(request)
    )
