from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentOperator, PublicSession, State
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InvalidToken
from tenants import service as tenants_service
from tenants.schemas import FleetSummary

router = APIRouter(route_class=IdempotentRoute, prefix="/migrations", tags=["platform: migrations"])


@router.get("", response_model=FleetSummary, operation_id="migrations_summary", responses=problems(InvalidToken))
async def get_migration_summary(state: State, db: PublicSession, operator: CurrentOperator) -> FleetSummary:
    """How many tenant schemas sit at each revision, against the head this deployment ships."""
    return await tenants_service.fleet_summary(db, state.migrations)
