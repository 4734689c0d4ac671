"""Rendering problems (RFC 9457) for every error path: raised problems, validation errors, HTTP errors, crashes."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from core.db import DATABASE_OUTAGES
from core.errors import (
    PROBLEM_CONTENT_TYPE,
    PROBLEM_TYPE_BASE,
    DatabaseUnavailable,
    IdempotencyKeyRequired,
    InvalidInput,
    Problem,
)
from tenants.errors import (
    InvalidTenantIdentifier,
    TenantLookupUnavailable,
    TenantNotFound,
    TenantProvisioning,
    TenantRequired,
    TenantSuspended,
)

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_CONTENT_TYPE


def problem_response(problem: Problem, instance: str | None = None) -> ProblemResponse:
    return ProblemResponse(problem.to_dict(instance), status_code=problem.status, headers=problem.headers())


async def send_problem(send: Send, problem: Problem, instance: str | None = None) -> None:
    """Answer with a problem from plain ASGI middleware (before FastAPI's handlers exist for the request)."""
    body = json.dumps(problem.to_dict(instance)).encode()
    headers = [(b"content-type", PROBLEM_CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers().items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def problems(*errors: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` documenting the problems a route can answer with, grouped by status."""
    by_status: dict[int, list[type[Problem]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    return {
        status: {
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in group),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status, group in sorted(by_status.items())
    }


# What every route on a tenant surface can answer before it runs: resolution and authentication.
TENANT_SURFACE_PROBLEMS: tuple[type[Problem], ...] = (
    TenantRequired,
    InvalidTenantIdentifier,
    TenantNotFound,
    TenantSuspended,
    TenantProvisioning,
    TenantLookupUnavailable,
)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> ProblemResponse:
        return problem_response(exc, request.url.path)

    async def _database_down(request: Request, exc: Exception) -> ProblemResponse:
        log.warning("database unavailable", exc_info=True, extra={"path": request.url.path})
        return problem_response(DatabaseUnavailable(), request.url.path)

    for outage in DATABASE_OUTAGES:  # unreachable, timed out, no pooled connection in time: 503, never 500
        app.add_exception_handler(outage, _database_down)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> ProblemResponse:
        if any(_missing_idempotency_key(e) for e in exc.errors()):
            return problem_response(IdempotencyKeyRequired(), request.url.path)
        errors = [
            {"loc": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem_response(InvalidInput(errors=errors), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = {
            "type": PROBLEM_TYPE_BASE + code,
            "title": str(exc.detail),
            "status": exc.status_code,
            "code": code,
        }
        return ProblemResponse(body, status_code=exc.status_code, headers=exc.headers)


def _missing_idempotency_key(error: Any) -> bool:
    # The header a route requires through api.idempotency.IdempotencyKeyRequired: its own problem and code, 400.
    return error.get("type") == "missing" and tuple(error.get("loc", ())) == ("header", "Idempotency-Key")


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the API does: every 422 is a problem, not FastAPI's default shape."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            invalid = operation.get("responses", {}).get("422")
            if invalid is not None:
                invalid["content"] = problem_content
                declared = invalid.get("description", "")
                generic = "`invalid_input`: the body, path, query or headers are not valid."
                # Keep the route's own 422 codes (invalid_cursor, reserved_domain...); drop FastAPI's placeholder.
                invalid["description"] = generic if declared in ("", "Validation Error") else f"{declared}; {generic}"
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)
    return schema


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem. `code` is stable and meant for machines.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
