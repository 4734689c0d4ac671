"""Idempotency keys on the three surfaces (api.idempotency, core.idempotency), over real HTTP on real PostgreSQL.

Real routes where they show the rule (customers, tenant lifecycle), and a probe router (test-only, on this
module's own app) where a test needs to hold a request in flight, fail it, or count its executions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from celery import Celery
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import func, select, text

from api.app import create_app
from api.deps import CurrentOperator, CustomersWrite, TenantSession, public_unit_of_work, tenant_unit_of_work
from api.idempotency import IdempotencyKeyRequired, IdempotentRoute
from commerce.customers.models import Customer
from commerce.events import service as events_service
from core.clock import utcnow
from core.db import Database
from core.errors import Conflict, ServiceUnavailable
from core.settings import Settings
from core.validation import Text
from tenants.context import TenantContext, tenant_session
from tenants.models import TenantStatus
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.customers import customer_body
from tests.fixtures.http import asgi_client
from tests.fixtures.staff import MakeApiKey
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT, context_of, send
from workers.idempotency.tasks import SWEEP_KEYS, SWEEP_PLATFORM_KEYS
from workers.task import runtime_of

CUSTOMERS = "/admin/v1/customers"
PROBE = "/admin/v1/_probe"


class ProbeBody(BaseModel):
    note: Text = ""
    fail_with: int | None = None  # 500: an unexpected error; 503: an outage; 409: a problem; 299: a 503 response
    hold: bool = False


class ProbeRead(BaseModel):
    execution: int


@dataclasses.dataclass
class Probe:
    """Counts executions; ``hold`` parks a request inside the endpoint (key claimed) until released."""

    executions: int = 0
    entered: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    release: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    fail_next: bool = True


def probe_router(probe: Probe) -> APIRouter:
    router = APIRouter(route_class=IdempotentRoute)

    async def run(body: ProbeBody, db: Any) -> ProbeRead:
        probe.executions += 1
        await events_service.record(db, type="probe.executed", resource_id=uuid.uuid4(), version=None, data={})
        if body.hold:
            probe.entered.set()
            await probe.release.wait()
        if body.fail_with is not None and probe.fail_next:
            probe.fail_next = False
            if body.fail_with == 500:
                raise RuntimeError("the probe fails")
            if body.fail_with == 503:
                raise ServiceUnavailable()
            if body.fail_with == 409:
                raise Conflict("the probe refuses")
        return ProbeRead(execution=probe.executions)

    @router.post(f"{PROBE}/runs", status_code=201, operation_id="probe_run")
    async def probe_run(body: ProbeBody, staff: CustomersWrite, db: TenantSession) -> ProbeRead:
        """A write that can be held, failed or counted."""
        return await run(body, db)

    @router.post(
        f"{PROBE}/required", status_code=201, operation_id="probe_required", dependencies=[IdempotencyKeyRequired]
    )
    async def probe_required(body: ProbeBody, staff: CustomersWrite, db: TenantSession) -> ProbeRead:
        """The same write, with the key required."""
        return await run(body, db)

    @router.delete(f"{PROBE}/runs/{{run_id}}", status_code=204, operation_id="probe_delete")
    async def probe_delete(run_id: uuid.UUID, staff: CustomersWrite, db: TenantSession) -> Response:
        """An empty answer."""
        probe.executions += 1
        return Response(status_code=204)

    @router.post(f"{PROBE}/redirects", operation_id="probe_redirect")
    async def probe_redirect(staff: CustomersWrite, db: TenantSession) -> RedirectResponse:
        """A redirect."""
        probe.executions += 1
        return RedirectResponse(f"/elsewhere/{probe.executions}", status_code=303)

    @router.post(f"{PROBE}/streams", operation_id="probe_stream")
    async def probe_stream(staff: CustomersWrite, db: TenantSession) -> StreamingResponse:
        """A streamed answer."""
        probe.executions += 1

        async def chunks() -> AsyncIterator[bytes]:
            yield b"part "
            yield str(probe.executions).encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @router.post("/platform/v1/_probe", status_code=201, operation_id="probe_platform")
    async def probe_platform(body: ProbeBody, operator: CurrentOperator) -> ProbeRead:
        """The platform surface."""
        probe.executions += 1
        return ProbeRead(execution=probe.executions)

    return router


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest_asyncio.fixture(loop_scope="session")
async def own_app(settings: Settings, probe: Probe) -> AsyncIterator[FastAPI]:
    """An app of this module's own: the probe routes and a clock the tests move never reach the shared app."""
    app = create_app(settings, listen_for_tenant_changes=False, relay_jobs=False)
    app.include_router(probe_router(probe))
    yield app
    await app.state.commerce.database.dispose()
    await app.state.commerce.auth.close()


@pytest_asyncio.fixture(loop_scope="session")
async def http(own_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(own_app) as client:
        yield client


def set_clock(app: FastAPI, now: datetime) -> None:
    app.state.commerce = dataclasses.replace(app.state.commerce, clock=lambda: now)


def keyed(tenant: TenantHandle, key: str) -> dict[str, str]:
    return {**tenant.headers, "idempotency-key": key}


async def count_customers(database: Database, tenant: TenantHandle, email: str) -> int:
    context = TenantContext(
        id=uuid.UUID(tenant.id), slug=tenant.slug, schema_name=tenant.schema_name, status=TenantStatus.ACTIVE
    )
    async with tenant_session(database, context) as db:
        return int(
            await db.scalar(select(func.count()).select_from(Customer).where(Customer.email == email.lower())) or 0
        )


async def probe_events(database: Database, tenant: TenantHandle) -> int:
    async with database.public_session() as db:
        query = text(f"SELECT count(*) FROM \"{tenant.schema_name}\".events WHERE type = 'probe.executed'")
        return int((await db.execute(query)).scalar_one())


async def stored_keys(database: Database, schema: str, key: str) -> int:
    async with database.public_session() as db:
        query = text(f'SELECT count(*) FROM "{schema}".idempotency_keys WHERE key = :key')
        return int((await db.execute(query, {"key": key})).scalar_one())


# --- replay -------------------------------------------------------------------------------------------------


async def test_a_retry_replays_the_first_response_and_writes_once(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    body, key = customer_body(), str(uuid.uuid4())

    first = await http.post(CUSTOMERS, json=body, headers=keyed(tenant_a, key))
    retry = await http.post(CUSTOMERS, json=body, headers=keyed(tenant_a, key))

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    for header in ("content-type", "etag"):
        assert retry.headers[header] == first.headers[header]
    assert await count_customers(database, tenant_a, body["email"]) == 1


async def test_the_same_parameters_spelled_differently_are_the_same_request(
    http: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    key = str(uuid.uuid4())
    first = await http.post(
        CUSTOMERS,
        content=b'{"email": "a@example.com", "first_name": "A"}',
        headers={**keyed(tenant_a, key), "content-type": "application/json"},
    )
    retry = await http.post(
        CUSTOMERS,
        content=b'{"first_name":"A","email":"a@example.com"}',
        headers={**keyed(tenant_a, key), "content-type": "application/json"},
    )

    assert first.status_code == 201, first.text
    assert retry.headers["idempotent-replayed"] == "true"


async def test_the_same_key_for_another_request_is_refused(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    key = str(uuid.uuid4())
    first = await http.post(CUSTOMERS, json=customer_body(), headers=keyed(tenant_a, key))
    other_body = await http.post(CUSTOMERS, json=(other := customer_body()), headers=keyed(tenant_a, key))
    other_path = await http.post(f"{PROBE}/runs", json={}, headers=keyed(tenant_a, key))

    assert first.status_code == 201
    for refused in (other_body, other_path):
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "idempotency_key_reused"
    assert await count_customers(database, tenant_a, other["email"]) == 0


async def test_an_empty_answer_is_replayed(http: httpx.AsyncClient, probe: Probe, tenant_a: TenantHandle) -> None:
    key = str(uuid.uuid4())
    first = await http.delete(f"{PROBE}/runs/{uuid.uuid4()}", headers=keyed(tenant_a, key))
    path = first.request.url.path
    retry = await http.delete(path, headers=keyed(tenant_a, key))

    assert first.status_code == 204
    assert (retry.status_code, retry.content, retry.headers["idempotent-replayed"]) == (204, b"", "true")
    assert probe.executions == 1


async def test_the_response_is_stored_by_the_transaction_of_the_writes(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    key = str(uuid.uuid4())
    response = await http.post(f"{PROBE}/runs", json={}, headers=keyed(tenant_a, key))

    assert response.status_code == 201
    # One transaction id on both rows: the write and the stored response commit together or not at all.
    async with database.public_session() as db:
        schema = tenant_a.schema_name
        event = f"SELECT xmin::text FROM \"{schema}\".events WHERE type = 'probe.executed'"
        stored = f'SELECT xmin::text FROM "{schema}".idempotency_keys WHERE key = :key'
        written_by = (await db.execute(text(event))).scalar_one()
        assert (await db.execute(text(stored), {"key": key})).scalar_one() == written_by


async def test_a_redirect_is_replayed_with_its_location_and_a_stream_is_not_stored(
    http: httpx.AsyncClient, database: Database, probe: Probe, tenant_a: TenantHandle
) -> None:
    redirect_key, stream_key = str(uuid.uuid4()), str(uuid.uuid4())

    redirected = [await http.post(f"{PROBE}/redirects", headers=keyed(tenant_a, redirect_key)) for _ in range(2)]
    streamed = [await http.post(f"{PROBE}/streams", headers=keyed(tenant_a, stream_key)) for _ in range(2)]

    assert [r.status_code for r in redirected] == [303, 303]
    assert [r.headers["location"] for r in redirected] == ["/elsewhere/1", "/elsewhere/1"]
    assert redirected[1].headers["idempotent-replayed"] == "true"
    assert [r.text for r in streamed] == ["part 2", "part 3"]  # each ran: a stream is never kept whole
    assert await stored_keys(database, tenant_a.schema_name, stream_key) == 0


async def test_a_request_that_dies_in_flight_leaves_its_key_free(
    http: httpx.AsyncClient, probe: Probe, tenant_a: TenantHandle
) -> None:
    key = str(uuid.uuid4())
    dying = asyncio.create_task(http.post(f"{PROBE}/runs", json={"hold": True}, headers=keyed(tenant_a, key)))
    await probe.entered.wait()  # it holds the key
    dying.cancel()  # the client goes away mid-request: the app's coroutine is cancelled, its transaction rolled back
    with pytest.raises(asyncio.CancelledError):
        await dying

    probe.release.set()  # the retry, held the same way, goes straight through
    retry = await http.post(f"{PROBE}/runs", json={"hold": True}, headers=keyed(tenant_a, key))

    assert retry.status_code == 201, retry.text
    assert retry.json() == {"execution": 2}


# --- concurrency --------------------------------------------------------------------------------------------


async def test_a_duplicate_of_a_request_in_flight_gets_409_without_waiting_for_it(
    http: httpx.AsyncClient, database: Database, probe: Probe, tenant_a: TenantHandle
) -> None:
    key, body = str(uuid.uuid4()), {"hold": True}
    first = asyncio.create_task(http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key)))
    await probe.entered.wait()  # the first request holds the key, inside its endpoint

    duplicates = await asyncio.gather(
        *(http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key)) for _ in range(8))
    )
    probe.release.set()
    done = await first
    after = await http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key))

    assert {d.status_code for d in duplicates} == {409}
    assert {d.json()["code"] for d in duplicates} == {"idempotency_key_in_use"}
    assert all(d.headers["retry-after"] == "1" for d in duplicates)
    assert done.status_code == 201
    assert (after.status_code, after.content, after.headers["idempotent-replayed"]) == (201, done.content, "true")
    assert probe.executions == 1
    assert await probe_events(database, tenant_a) == 1


async def test_concurrent_retries_create_one_customer(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    body, key = customer_body(), str(uuid.uuid4())

    responses = await asyncio.gather(
        *(http.post(CUSTOMERS, json=body, headers=keyed(tenant_a, key)) for _ in range(20))
    )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if "idempotent-replayed" not in r.headers]) == 1
    assert len({r.content for r in created}) == 1  # the replays are the original, byte for byte
    assert await count_customers(database, tenant_a, body["email"]) == 1


# --- what is stored -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [500, 503])
async def test_a_5xx_is_not_stored_and_its_writes_are_not_kept(
    http: httpx.AsyncClient, database: Database, probe: Probe, tenant_a: TenantHandle, failure: int
) -> None:
    key, body = str(uuid.uuid4()), {"fail_with": failure}

    failed = await http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key))
    assert await stored_keys(database, tenant_a.schema_name, key) == 0
    retry = await http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key))

    assert failed.status_code == failure
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    assert retry.json() == {"execution": 2}  # the retry ran again...
    assert await probe_events(database, tenant_a) == 1  # ...and only its write is kept


async def test_a_4xx_problem_is_stored_and_replayed_without_running_again(
    http: httpx.AsyncClient, database: Database, probe: Probe, tenant_a: TenantHandle
) -> None:
    key, body = str(uuid.uuid4()), {"fail_with": 409}

    refused = await http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key))
    retry = await http.post(f"{PROBE}/runs", json=body, headers=keyed(tenant_a, key))

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert (retry.status_code, retry.content, retry.headers["idempotent-replayed"]) == (409, refused.content, "true")
    assert retry.headers["content-type"] == "application/problem+json"
    assert probe.executions == 1
    assert await probe_events(database, tenant_a) == 0  # the problem rolled its write back; only the answer is kept


async def test_refusals_before_the_endpoint_are_not_stored(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    key = str(uuid.uuid4())
    unauthenticated = await http.post(
        CUSTOMERS,
        json=customer_body(),
        headers={"x-tenant": tenant_a.slug, "authorization": "Bearer sat_nope", "idempotency-key": key},
    )
    invalid = await http.post(CUSTOMERS, json={"email": 3}, headers=keyed(tenant_a, key))
    body = customer_body()
    valid = await http.post(CUSTOMERS, json=body, headers=keyed(tenant_a, key))

    assert (unauthenticated.status_code, invalid.status_code, valid.status_code) == (401, 422, 201)
    assert "idempotent-replayed" not in valid.headers


async def test_a_response_carrying_a_secret_is_never_stored(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    key, body = str(uuid.uuid4()), {"name": "erp", "scopes": ["settings:read"]}

    first = await http.post("/admin/v1/api-keys", json=body, headers=keyed(tenant_a, key))
    retry = await http.post("/admin/v1/api-keys", json=body, headers=keyed(tenant_a, key))

    assert (first.status_code, retry.status_code) == (201, 201)
    assert first.headers["cache-control"] == "no-store"
    assert "idempotent-replayed" not in retry.headers  # the secret was not kept: the retry made a new key
    assert first.json()["secret"] != retry.json()["secret"]
    assert await stored_keys(database, tenant_a.schema_name, key) == 0


async def test_a_refusal_that_keeps_its_changes_leaves_the_key_free(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    """A replayed refresh token revokes its sign-in and that commits (401, keeps_changes): the key goes too."""
    tenant = {"x-tenant": tenant_a.slug}
    signed_in = await http.post(
        "/admin/v1/auth/token",
        json={"email": tenant_a.owner_email, "password": tenant_a.owner_password},
        headers=tenant,
    )
    spent = signed_in.json()["refresh_token"]
    assert (await http.post("/admin/v1/auth/refresh", json={"refresh_token": spent}, headers=tenant)).status_code == 200
    key = str(uuid.uuid4())

    reused = await http.post(
        "/admin/v1/auth/refresh", json={"refresh_token": spent}, headers={**tenant, "idempotency-key": key}
    )
    retry = await http.post(
        "/admin/v1/auth/refresh", json={"refresh_token": spent}, headers={**tenant, "idempotency-key": key}
    )

    assert (reused.status_code, reused.json()["code"]) == (401, "refresh_token_reused")
    assert retry.status_code == 401  # judged again, never 409 idempotency_key_in_use
    assert await stored_keys(database, tenant_a.schema_name, key) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "two words"])
async def test_a_malformed_key_is_refused_naming_the_header(
    http: httpx.AsyncClient, tenant_a: TenantHandle, key: str
) -> None:
    headers = [*((name.encode(), value.encode()) for name, value in tenant_a.headers.items())]
    response = await http.post(CUSTOMERS, json=customer_body(), headers=[*headers, (b"idempotency-key", key.encode())])

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input"
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in response.json()["errors"]]


async def test_a_required_key_is_400_when_missing(
    http: httpx.AsyncClient, own_app: FastAPI, probe: Probe, tenant_a: TenantHandle
) -> None:
    missing = await http.post(f"{PROBE}/required", json={}, headers=tenant_a.headers)
    present = await http.post(f"{PROBE}/required", json={}, headers=keyed(tenant_a, str(uuid.uuid4())))

    assert missing.status_code == 400
    assert missing.json()["code"] == "idempotency_key_required"
    assert present.status_code == 201
    assert probe.executions == 1
    parameters = own_app.openapi()["paths"][f"{PROBE}/required"]["post"]["parameters"]
    assert [p["required"] for p in parameters if p["name"] == "Idempotency-Key"] == [True]
    optional = own_app.openapi()["paths"][f"{PROBE}/runs"]["post"]["parameters"]
    assert [p["required"] for p in optional if p["name"] == "Idempotency-Key"] == [False]


# --- scope --------------------------------------------------------------------------------------------------


async def test_a_key_belongs_to_its_credential(
    http: httpx.AsyncClient, probe: Probe, tenant_a: TenantHandle, make_api_key: MakeApiKey
) -> None:
    api_key = await make_api_key(tenant_a, ["customers:write"])
    key = str(uuid.uuid4())

    owner = await http.post(f"{PROBE}/runs", json={}, headers=keyed(tenant_a, key))
    machine = await http.post(
        f"{PROBE}/runs",
        json={},
        headers={"x-tenant": tenant_a.slug, "authorization": f"Bearer {api_key.secret}", "idempotency-key": key},
    )

    assert (owner.json(), machine.json()) == ({"execution": 1}, {"execution": 2})
    assert "idempotent-replayed" not in machine.headers


async def test_a_tenants_key_never_replays_in_another_tenant(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle, tenant_b: TenantHandle
) -> None:
    body, key = customer_body(), str(uuid.uuid4())

    in_a = await http.post(CUSTOMERS, json=body, headers=keyed(tenant_a, key))
    in_b = await http.post(CUSTOMERS, json=body, headers=keyed(tenant_b, key))

    assert (in_a.status_code, in_b.status_code) == (201, 201)
    assert "idempotent-replayed" not in in_b.headers
    assert in_a.json()["id"] != in_b.json()["id"]
    assert await stored_keys(database, tenant_a.schema_name, key) == 1
    assert await stored_keys(database, tenant_b.schema_name, key) == 1


# --- expiry -------------------------------------------------------------------------------------------------


async def test_a_key_is_replayed_for_24_hours_then_forgotten_and_swept(
    http: httpx.AsyncClient,
    own_app: FastAPI,
    database: Database,
    probe: Probe,
    tenant_a: TenantHandle,
    celery_worker: Celery,
) -> None:
    start, key = utcnow(), str(uuid.uuid4())
    set_clock(own_app, start)
    first = await http.post(f"{PROBE}/runs", json={}, headers=keyed(tenant_a, key))
    set_clock(own_app, start + timedelta(hours=24) - timedelta(seconds=1))
    within = await http.post(f"{PROBE}/runs", json={"note": "another request"}, headers=keyed(tenant_a, key))
    set_clock(own_app, start + timedelta(hours=24))
    after = await http.post(f"{PROBE}/runs", json={"note": "another request"}, headers=keyed(tenant_a, key))

    assert first.status_code == 201
    assert within.json()["code"] == "idempotency_key_reused"  # still the first request's key
    assert (after.status_code, after.json()) == (201, {"execution": 2})  # a new request with the old key
    assert "idempotent-replayed" not in after.headers

    set_clock(own_app, start + timedelta(hours=30))
    fresh = str(uuid.uuid4())  # the sentinel: a key still alive at the worker's "now", which the sweep must keep
    assert (await http.post(f"{PROBE}/runs", json={}, headers=keyed(tenant_a, fresh))).status_code == 201
    runtime = runtime_of(celery_worker)
    runtime.clock = lambda: start + timedelta(hours=49)  # past the taken-over key's 24 h (from hour 24)
    try:
        swept = send(celery_worker, SWEEP_KEYS, await context_of(database, tenant_a)).get(timeout=TIMEOUT)
    finally:
        runtime.clock = utcnow
    assert swept == 1
    assert await stored_keys(database, tenant_a.schema_name, key) == 0
    assert await stored_keys(database, tenant_a.schema_name, fresh) == 1
    entry = celery_worker.conf.beat_schedule[SWEEP_KEYS]
    assert (entry["task"], entry["kwargs"]) == ("tenants.fan_out", {"task_name": SWEEP_KEYS})


# --- the platform surface -----------------------------------------------------------------------------------


async def test_the_platform_surface_replays_from_its_own_table(
    http: httpx.AsyncClient,
    database: Database,
    probe: Probe,
    operator: OperatorHandle,
    tenant_b: TenantHandle,
    celery_worker: Celery,
) -> None:
    key = str(uuid.uuid4())
    headers = {**operator.headers, "idempotency-key": key}

    first = await http.post("/platform/v1/_probe", json={}, headers=headers)
    retry = await http.post("/platform/v1/_probe", json={}, headers=headers)
    suspended = await http.post(
        f"/platform/v1/tenants/{tenant_b.id}/suspend", headers={**operator.headers, "idempotency-key": key + "-s"}
    )
    resumed = await http.post(f"/platform/v1/tenants/{tenant_b.id}/resume", headers=operator.headers)
    suspended_again = await http.post(
        f"/platform/v1/tenants/{tenant_b.id}/suspend", headers={**operator.headers, "idempotency-key": key + "-s"}
    )
    current = await http.get(f"/platform/v1/tenants/{tenant_b.id}", headers=operator.headers)

    assert (first.status_code, retry.status_code, retry.headers["idempotent-replayed"]) == (201, 201, "true")
    assert retry.content == first.content
    assert probe.executions == 1
    assert await stored_keys(database, "public", key) == 1
    assert (suspended.status_code, resumed.status_code) == (200, 200)
    assert (suspended_again.content, suspended_again.headers["idempotent-replayed"]) == (suspended.content, "true")
    assert current.json()["status"] == "active"  # the replay suspended nothing

    runtime = runtime_of(celery_worker)
    runtime.clock = lambda: utcnow() + timedelta(days=2)
    try:
        assert send(celery_worker, SWEEP_PLATFORM_KEYS, None).get(timeout=TIMEOUT) >= 2
    finally:
        runtime.clock = utcnow
    assert await stored_keys(database, "public", key) == 0
    assert celery_worker.conf.beat_schedule[SWEEP_PLATFORM_KEYS]["task"] == SWEEP_PLATFORM_KEYS


# --- not on the hot path ------------------------------------------------------------------------------------


async def test_a_request_without_a_key_stores_nothing(
    http: httpx.AsyncClient, database: Database, tenant_a: TenantHandle
) -> None:
    created = await http.post(CUSTOMERS, json=customer_body(), headers=tenant_a.headers)

    assert created.status_code == 201
    async with database.public_session() as db:
        query = text(f'SELECT count(*) FROM "{tenant_a.schema_name}".idempotency_keys')
        assert (await db.execute(query)).scalar_one() == 0


# --- coverage -----------------------------------------------------------------------------------------------

SURFACES = ("/admin/v1/", "/storefront/v1/", "/platform/v1/")


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute of the app with its full path (included routers are walked, as FastAPI matches them)."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        included = getattr(route, "original_router", None)
        if included is not None:
            found.extend(_routes(included.routes, prefix + route.include_context.prefix))
    return found


def _calls(dependant: Any) -> set[Any]:
    return {sub.call for sub in dependant.dependencies} | {c for sub in dependant.dependencies for c in _calls(sub)}


async def test_every_unsafe_operation_of_the_three_surfaces_takes_a_key(app: FastAPI) -> None:
    """A router added without ``route_class=IdempotentRoute``, or a write outside the unit of work, fails here."""
    unsafe = [
        (path, route)
        for path, route in _routes(app.router.routes)
        if path.startswith(SURFACES) and (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert len(unsafe) > 50
    for path, route in unsafe:
        assert isinstance(route, IdempotentRoute), f"{path}: its router needs route_class=IdempotentRoute"
        unit_of_work = public_unit_of_work if path.startswith("/platform/") else tenant_unit_of_work
        assert unit_of_work in _calls(route.dependant), f"{path}: the key is claimed in the unit of work it lacks"
    operations = app.openapi()["paths"]
    for path, route in unsafe:
        for method in route.methods or ():
            parameters = operations[path][method.lower()].get("parameters", [])
            assert "Idempotency-Key" in [p["name"] for p in parameters], (method, path)
