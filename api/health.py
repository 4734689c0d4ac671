from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import State

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="health_live")
async def get_liveness() -> dict[str, str]:
    """The process is up. Never touches a dependency (a database outage must not restart every pod)."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="health_ready", responses={503: {"description": "A dependency is down."}})
async def get_readiness(state: State) -> JSONResponse:
    """The database answers. (The broker joins this check when workers exist.)"""
    checks: dict[str, str] = {}
    try:
        async with state.database.public_session() as db:
            await db.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
