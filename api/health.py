from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import State
from core import outbox

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="health_live")
async def get_liveness() -> dict[str, str]:
    """The process is up. Never touches a dependency (a database outage must not restart every pod)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="health_ready",
    responses={503: {"description": "The database is unreachable: take this instance out of rotation."}},
)
async def get_readiness(state: State) -> JSONResponse:
    """The database answers (else 503), and whether the broker does (reported, not required: jobs wait in the
    outbox while it is down, so the API keeps serving; ``status`` is then ``degraded``)."""
    checks: dict[str, str] = {}
    backlog: dict[str, float | int | None] = {}
    try:
        async with state.database.public_session() as db:
            await db.execute(text("SELECT 1"))
            pending, oldest = await outbox.backlog(db)
        checks["database"] = "ok"
        backlog = {"pending": pending, "oldest_pending_seconds": None if oldest is None else round(oldest, 3)}
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = await _broker_check(state)
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    else:
        status, code = ("ok" if checks["broker"] == "ok" else "degraded"), 200
    return JSONResponse({"status": status, "checks": checks, "outbox": backlog}, status_code=code)


async def _broker_check(state: State) -> str:
    """Connect to the broker on a thread, within the publish bound: the event loop never waits on it."""
    bound = state.settings.celery.publish_timeout_seconds * 2
    try:
        await asyncio.wait_for(asyncio.to_thread(state.relay.dispatcher.reachable), timeout=bound)
    except TimeoutError:
        return "error: no answer"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"
