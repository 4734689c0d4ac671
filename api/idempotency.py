"""Idempotency keys on every unsafe request of /admin/v1, /storefront/v1 and /platform/v1 (rules: core.idempotency).

One mechanism, the route class :class:`IdempotentRoute` of every router of the three surfaces, in three parts:

1. **The route handler** (``get_route_handler``), when the request carries ``Idempotency-Key``, opens a
   :class:`_Pending` claim for it (a context variable) and calls FastAPI's handler, which solves the
   dependencies, runs the endpoint and serialises the response.
2. **The unit of work** (``api.deps``) enlists its session in the claim (:func:`enlist`): the tenant session on
   the tenant surfaces, the public session on the platform surface. Nothing runs yet.
3. **The endpoint guard**, wrapped around the endpoint, runs after every dependency (so after authentication)
   and before the endpoint: it claims the key in the enlisted session (``core.idempotency.claim``: one round
   trip) and either raises the problem (in use, reused), replays the stored response, or runs the endpoint.

Back in the route handler, the serialised response is stored in the same session: FastAPI exits the
function-scoped dependencies, so ``api.deps._committed`` commits, only *after* the route handler returned the
response (``fastapi.routing.request_response``: the handler runs inside ``fastapi_function_astack``; the
response is sent after the stack closed). The handler's writes and its stored response commit together, or
neither does; a rollback (an exception, a crash) also drops the claim and its lock, so nothing blocks a retry.

What is stored: every response below 500 that is a plain ``Response`` (JSON, empty, redirect), including the
4xx problems the endpoint raised (Stripe's rule: the same key gives the same answer), except 401, 403 and 429
(whether the caller may, or may now, is not a property of the request) and responses marked
``Cache-Control: no-store`` (they carry credentials, which are never kept in clear). Never stored: 5xx
(including the 503 of an outage or a timeout), streaming responses and requests refused before the endpoint
ran (validation, authentication): their key is free again, and the retry runs. See docs/api.md#idempotency.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from api.middleware import TENANT_SCOPE_KEY
from api.problems import problem_response, problems
from core import idempotency
from core.errors import IdempotencyKeyInUse, IdempotencyKeyReused, Problem
from core.errors import IdempotencyKeyRequired as IdempotencyKeyRequired_
from core.idempotency import KEY_PATTERN, Outcome, PlatformIdempotencyKey, StoredResponse, TenantIdempotencyKey

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What identifies the caller, hashed into the key's scope. A route whose access rests on another secret header
# (a guest cart's secret) adds it here, so that a key never replays across holders of different secrets.
CREDENTIAL_HEADERS: tuple[str, ...] = ("authorization",)
# The response headers a replay repeats; the others belong to the delivery (request id, security headers).
REPLAYED_HEADERS = frozenset({"content-type", "content-language", "location", "etag", "last-modified", "link"})
# Refusals that say something about the caller or the moment, not the request: a retry must be judged again.
_NOT_STORED_STATUSES = frozenset({401, 403, 429})
_DESCRIPTION = (
    "A key (1 to 255 visible ASCII characters, e.g. a UUID) that makes a retry of this request safe: the first "
    "response is stored for 24 hours and replayed to any retry with the same key (header `Idempotent-Replayed: "
    "true`). See docs/api.md#idempotency."
)
_PARAMETER = "idempotency_key__"  # the guard's own parameter; never an endpoint's


@dataclass(slots=True)
class _Pending:
    """The key of the running request, from the route handler to the unit of work and the endpoint guard."""

    request: Request
    key: str
    public: bool  # the platform surface: the public session and table
    db: AsyncSession | None = None
    claimed: bool = False

    @property
    def table(self) -> idempotency.KeyTable:
        return PlatformIdempotencyKey if self.public else TenantIdempotencyKey

    @property
    def namespace(self) -> str:
        if self.public:
            return "public"
        tenant = self.request.scope["state"][TENANT_SCOPE_KEY]
        return str(tenant.schema_name)

    @property
    def credential(self) -> str:
        headers = self.request.headers
        return idempotency.credential_hash(*(headers.get(name, "") for name in CREDENTIAL_HEADERS))


_pending: ContextVar[_Pending | None] = ContextVar("idempotency_pending", default=None)


class _Replay(Exception):
    def __init__(self, stored: StoredResponse) -> None:
        self.stored = stored


def enlist(db: AsyncSession, *, public: bool) -> None:
    """Called by the unit of work of each surface: the request's key, if any, is claimed in this session."""
    pending = _pending.get()
    if pending is not None and pending.public is public:
        pending.db = db


async def _take(pending: _Pending, response: StoredResponse | None = None) -> idempotency.Claim:
    """``core.idempotency.claim`` for the running request, in its enlisted session."""
    assert pending.db is not None
    request = pending.request
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return await idempotency.claim(
        pending.db,
        pending.table,
        namespace=pending.namespace,
        credential=pending.credential,
        key=pending.key,
        request_fingerprint=idempotency.fingerprint(request.method, target, await request.body()),
        now=request.app.state.commerce.clock(),
        ttl=timedelta(seconds=request.app.state.commerce.settings.http.idempotency_ttl_seconds),
        response=response,
    )


async def _claim(pending: _Pending) -> None:
    """Take the key, or raise the problem / the replay instead of running the endpoint."""
    claim = await _take(pending)
    if claim.outcome is Outcome.REPLAY:
        assert claim.stored is not None
        raise _Replay(claim.stored)
    pending.claimed = True


def _guarded(endpoint: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The endpoint, preceded by the claim of its key; its signature gains the (documented) optional header."""

    @functools.wraps(endpoint)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        key = kwargs.pop(_PARAMETER, None)
        pending = _pending.get()
        if key is not None and pending is not None and pending.db is not None:
            await _claim(pending)
        return await endpoint(*args, **kwargs)

    signature = inspect.signature(endpoint)
    header = inspect.Parameter(
        _PARAMETER,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[str | None, Header(alias=HEADER, pattern=KEY_PATTERN, description=_DESCRIPTION)],
    )
    guarded.__signature__ = signature.replace(parameters=[*signature.parameters.values(), header])  # type: ignore[attr-defined]
    return guarded


def _stored(response: Response) -> StoredResponse | None:
    """What a replay will send, or None when this response is not kept (5xx, streaming, credentials)."""
    body = getattr(response, "body", None)
    if response.status_code >= 500 or not isinstance(body, bytes):
        return None
    if response.status_code in _NOT_STORED_STATUSES or "no-store" in response.headers.get("cache-control", ""):
        return None
    headers = [(name, value) for name, value in response.headers.items() if name in REPLAYED_HEADERS]
    return StoredResponse(response.status_code, headers, body)


def _replay(stored: StoredResponse) -> Response:
    response = Response(content=stored.body, status_code=stored.status_code)
    # Response() wrote its own content-length (and content-type, none here): the stored headers take over.
    for name, value in stored.headers:
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


async def _settle(pending: _Pending, stored: StoredResponse | None) -> None:
    """In the transaction that commits the request's writes: store its answer, or give the key up."""
    assert pending.db is not None
    table, credential, key = pending.table, pending.credential, pending.key
    if stored is None:
        await idempotency.release(pending.db, table, credential=credential, key=key)
    else:
        await idempotency.complete(pending.db, table, credential=credential, key=key, response=stored)


async def _store_problem(pending: _Pending, problem: Problem) -> None:
    """The endpoint raised a problem: store its rendering, as the exception handler will send it.

    A problem that keeps its changes commits with them (the unit of work commits after this). Any other one
    rolls the handler's writes back: the claim went with them, so the answer is stored in a transaction of its
    own, claimed again (another request may have taken the key in between: then it answers, not this one).
    """
    db = pending.db
    assert db is not None
    stored = _stored(problem_response(problem, pending.request.url.path))
    if problem.keeps_changes:  # the unit of work commits: so does the claim, complete or given up
        await _settle(pending, stored)
        return
    if stored is None:  # rolled back with the handler's writes
        return
    try:
        await db.rollback()
        await _take(pending, stored)
        await db.commit()
    except Exception:  # the problem is the answer; an unstored key only means the retry runs again
        log.warning("could not store an idempotent problem response", exc_info=True)
        await db.rollback()


def _documented(responses: dict[int | str, dict[str, Any]], *, required: bool) -> dict[int | str, dict[str, Any]]:
    """The route's documented responses plus the key's problems (merged into a status the route documents)."""
    merged = dict(responses)
    errors = (IdempotencyKeyInUse, IdempotencyKeyReused, *((IdempotencyKeyRequired_,) if required else ()))
    for status, documented in problems(*errors).items():
        own = merged.get(status)
        if own is None:
            merged[status] = documented
        else:
            merged[status] = {**own, "description": f"{own.get('description', '')}; {documented['description']}"}
    return merged


class IdempotentRoute(APIRoute):
    """The route class of every router on /admin/v1, /storefront/v1 and /platform/v1 (see the module docstring).

    Safe methods get FastAPI's handler unchanged; unsafe ones pay one context-variable lookup when the request
    carries no key. Streaming (generator) endpoints and sync endpoints are not guarded: their keys are ignored.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {method.upper() for method in kwargs.get("methods") or ()}
        if methods & UNSAFE_METHODS and inspect.iscoroutinefunction(endpoint):
            endpoint = _guarded(endpoint)
            required = any(d is IdempotencyKeyRequired for d in kwargs.get("dependencies") or ())
            kwargs["responses"] = _documented(kwargs.get("responses") or {}, required=required)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not (self.methods or set()) & UNSAFE_METHODS or not inspect.iscoroutinefunction(self.endpoint):
            return handler

        async def idempotent_handler(request: Request) -> Response:
            key = request.headers.get(HEADER)
            if key is None:
                return await handler(request)
            public = TENANT_SCOPE_KEY not in request.scope.get("state", {})
            pending = _Pending(request=request, key=key, public=public)
            token = _pending.set(pending)
            try:
                response = await handler(request)
            except _Replay as replay:
                return _replay(replay.stored)
            except Problem as problem:
                if pending.claimed:
                    await _store_problem(pending, problem)
                raise
            finally:
                _pending.reset(token)
            if pending.claimed:
                await _settle(pending, _stored(response))
            return response

        return idempotent_handler


async def _require_key(
    key: Annotated[str, Header(alias=HEADER, pattern=KEY_PATTERN, description=_DESCRIPTION)],
) -> None:
    """Missing: FastAPI's validation refuses the request; api.problems turns that into ``idempotency_key_required``."""


# For a route's ``dependencies=[...]``: the header becomes required (400 ``idempotency_key_required`` without it)
# and is documented as required in the route's OpenAPI.
IdempotencyKeyRequired = Depends(_require_key)
