"""Problems (RFC 9457): every error the product reports has a status, a stable machine code and a title.

Domain packages raise subclasses; the API renders them as ``application/problem+json``.
A subclass states its status, code and title once:

    class SkuAlreadyExists(Conflict):
        code = "sku_already_exists"
        title = "A variant with this SKU already exists."
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.commerce.dev/problems/"


class Problem(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "An unexpected error occurred."
    # A failure that must leave a trace (a revocation after a replayed token): the unit of work commits
    # what was written before raising instead of rolling it back.
    keeps_changes: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra

    def headers(self) -> dict[str, str]:
        """Response headers this problem requires (``Retry-After``, ``WWW-Authenticate``...)."""
        return {}

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status = 400
    code = "bad_request"
    title = "The request is malformed."


class Unauthorized(Problem):
    status = 401
    code = "unauthorized"
    title = "Authentication is required."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Forbidden(Problem):
    status = 403
    code = "forbidden"
    title = "You are not allowed to do this."


class NotFound(Problem):
    status = 404
    code = "not_found"
    title = "The resource does not exist."


class Conflict(Problem):
    status = 409
    code = "conflict"
    title = "The request conflicts with the current state of the resource."


class PreconditionFailed(Problem):
    status = 412
    code = "precondition_failed"
    title = "The resource has changed since you read it."


class InvalidInput(Problem):
    status = 422
    code = "invalid_input"
    title = "The request body or parameters are invalid."


class PayloadTooLarge(Problem):
    status = 413
    # The code the API already gives a bare HTTP 413 (api/problems.py).
    code = "payload_too_large"
    title = "The request body is too large."


class TooManyRequests(Problem):
    status = 429
    # The code the API already gives a bare HTTP 429 (api/problems.py), so a client sees one code for it.
    code = "rate_limited"
    title = "Too many requests. Try again later."

    def __init__(self, detail: str | None = None, *, retry_after_seconds: float = 1.0, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        # Whole seconds (RFC 9110), rounded up so a client that waits as told is not refused again.
        return {"Retry-After": str(max(1, math.ceil(self.retry_after_seconds)))}


class ServiceUnavailable(Problem):
    status = 503
    code = "service_unavailable"
    title = "The service is temporarily unavailable."

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    title = "The database cannot be reached or did not answer in time; retry shortly."


class RequestTimedOut(ServiceUnavailable):
    # The request deadline (COMMERCE_DB__TIMEOUT_SECONDS) passed, almost always waiting on the database.
    code = "request_timeout"
    title = "The request did not complete in time; retry shortly."


class TooManyAttempts(TooManyRequests):
    # Says neither which limit was hit (account or address) nor echoes either: no help to enumeration.
    code = "too_many_login_attempts"
    title = "Too many failed sign-in attempts. Try again later."


class VersionMismatch(PreconditionFailed):
    code = "version_mismatch"
    title = "The resource was modified since the version given in If-Match."


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "The pagination cursor is not valid."


class InvalidSchemaName(Problem):
    code = "invalid_schema_name"
    title = "The schema name is not valid."


class NoSchemaScope(Problem):
    code = "no_schema_scope"
    title = "A tenant-scoped transaction was started without a tenant."


# Idempotency keys (core.idempotency, docs/api.md#idempotency).
class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was already used for a different request (method, path or body)."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = "A request with this Idempotency-Key is still being processed; retry shortly."

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    title = "This operation requires an Idempotency-Key header."
