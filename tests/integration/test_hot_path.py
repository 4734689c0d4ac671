"""The hot path: round trips of authenticated reads and writes, counted exactly, and isolation on it.

Round trips are counted by ``core.roundtrips.RoundTripCounter`` on the app's engine (libpq's protocol
trace: one per ``ReadyForQuery``), so psycopg's implicit ``BEGIN``, ``COMMIT`` and the pool's pings
count too; they are what a statement counter misses. Each app here has a pool of one connection, so
every request of the interleaved tests runs on the same PostgreSQL backend.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from api.app import create_app
from core.roundtrips import RoundTripCounter
from core.settings import Settings
from tests.fixtures.http import asgi_client
from tests.fixtures.oauth import RegisterClient, origin, token_request
from tests.fixtures.staff import MakeApiKey
from tests.fixtures.tenants import TenantHandle


@dataclass
class CountedApp:
    app: FastAPI
    counter: RoundTripCounter

    def forget_credentials(self) -> None:
        self.app.state.commerce.auth.credentials.forget(None)

    async def request(
        self, method: str, url: str, *, base_url: str = "http://api.localhost", **kwargs: object
    ) -> tuple[httpx.Response, int]:
        """One request, and the round trips to PostgreSQL it made."""
        async with asgi_client(self.app, base_url) as http:
            self.counter.reset()
            response = await http.request(method, url, **kwargs)  # type: ignore[arg-type]
            return response, self.counter.round_trips


@pytest_asyncio.fixture(loop_scope="session")
async def counted(settings: Settings) -> AsyncIterator[CountedApp]:
    one = settings.model_copy(update={"db": settings.db.model_copy(update={"pool_size": 1, "max_overflow": 0})})
    app = create_app(one, listen_for_tenant_changes=False)
    counter = RoundTripCounter(app.state.commerce.database.engine)
    yield CountedApp(app, counter)
    counter.detach()
    await app.state.commerce.database.dispose()
    await app.state.commerce.auth.close()


async def _client_token(app: FastAPI, tenant: TenantHandle, register_client: RegisterClient) -> str:
    storefront = await register_client(tenant, kind="confidential", scopes=["storefront:catalog"])
    assert storefront.client_secret is not None
    granted = await token_request(
        app, tenant, {"grant_type": "client_credentials"}, auth=(storefront.client_id, storefront.client_secret)
    )
    assert granted.status_code == 200, granted.text
    token: str = granted.json()["access_token"]
    return token


async def test_an_authenticated_read_is_one_round_trip_with_its_credential_cached_and_two_without(
    counted: CountedApp, tenant_a: TenantHandle, make_api_key: MakeApiKey, register_client: RegisterClient
) -> None:
    key = await make_api_key(tenant_a, ["settings:read"])
    storefront_token = await _client_token(counted.app, tenant_a, register_client)
    reads = {
        "staff token": ("/admin/v1/shop", "http://api.localhost", tenant_a.headers),
        "API key": ("/admin/v1/shop", "http://api.localhost", key.headers),
        "OAuth token": ("/storefront/v1/shop", origin(tenant_a), {"authorization": f"Bearer {storefront_token}"}),
    }
    for path, base_url, headers in reads.values():  # the tenant resolver's first look-up of each host
        await counted.request("GET", path, base_url=base_url, headers=headers)

    for name, (path, base_url, headers) in reads.items():
        counted.forget_credentials()
        cold, cold_trips = await counted.request("GET", path, base_url=base_url, headers=headers)
        warm, warm_trips = await counted.request("GET", path, base_url=base_url, headers=headers)

        assert (cold.status_code, warm.status_code) == (200, 200), (name, cold.text, warm.text)
        assert cold.json() == warm.json()
        assert (cold_trips, warm_trips) == (2, 1), name  # credential look-up + read; then the read alone
    assert counted.counter.connects == 0


async def test_a_write_is_at_most_four_round_trips(counted: CountedApp, tenant_a: TenantHandle) -> None:
    await counted.request("GET", "/admin/v1/shop", headers=tenant_a.headers)
    counted.forget_credentials()

    cold, cold_trips = await counted.request("PATCH", "/admin/v1/shop", json={"name": "Cold"}, headers=tenant_a.headers)
    warm, warm_trips = await counted.request(
        "PATCH", "/admin/v1/shop", json={"name": "Warm"}, headers={**tenant_a.headers, "if-match": cold.headers["etag"]}
    )

    assert (cold.status_code, warm.status_code) == (200, 200), (cold.text, warm.text)
    assert warm.json()["name"] == "Warm"
    assert warm.json()["version"] == cold.json()["version"] + 1
    # BEGIN with the routing, the UPDATE ... RETURNING, COMMIT; plus the credential look-up when not cached.
    assert (cold_trips, warm_trips) == (4, 3)


async def test_an_idempotency_key_costs_its_claim_and_its_stored_response(
    counted: CountedApp, tenant_a: TenantHandle
) -> None:
    await counted.request("GET", "/admin/v1/shop", headers=tenant_a.headers)  # the credential is cached
    key = {**tenant_a.headers, "idempotency-key": f"hot-path-{uuid.uuid4()}"}

    keyed, keyed_trips = await counted.request("PATCH", "/admin/v1/shop", json={"name": "Keyed"}, headers=key)
    replay, replay_trips = await counted.request("PATCH", "/admin/v1/shop", json={"name": "Keyed"}, headers=key)

    assert (keyed.status_code, replay.headers["idempotent-replayed"]) == (200, "true")
    # The 3 of a write (test above), plus the claim (lock + insert) and the stored response, in its transaction.
    assert keyed_trips == 3 + 2
    # BEGIN with the routing, the claim that finds the key taken, reading the stored response, COMMIT.
    assert replay_trips == 4


async def test_an_unchanged_write_keeps_the_version(client: httpx.AsyncClient, tenant_a: TenantHandle) -> None:
    shop = (await client.get("/admin/v1/shop", headers=tenant_a.headers)).json()

    same = await client.patch("/admin/v1/shop", json={"name": shop["name"]}, headers=tenant_a.headers)
    empty = await client.patch(
        "/admin/v1/shop", json={}, headers={**tenant_a.headers, "if-match": f'"{shop["version"]}"'}
    )
    stale = await client.patch("/admin/v1/shop", json={}, headers={**tenant_a.headers, "if-match": '"999"'})

    assert same.json() == shop
    assert empty.json() == shop
    assert stale.status_code == 412
    assert stale.json()["current_version"] == shop["version"]


async def test_one_connection_serving_interleaved_tenants_on_the_hot_path_never_crosses_them(
    counted: CountedApp,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    make_api_key: MakeApiKey,
    register_client: RegisterClient,
) -> None:
    keys = {t.slug: await make_api_key(t, ["settings:read", "settings:write"]) for t in (tenant_a, tenant_b)}
    storefront = {t.slug: await _client_token(counted.app, t, register_client) for t in (tenant_a, tenant_b)}
    for round_number in range(3):
        if round_number == 1:
            counted.forget_credentials()  # every credential looked up again, on the same connection
        for tenant, other in [(tenant_a, tenant_b), (tenant_b, tenant_a), (tenant_b, tenant_a), (tenant_a, tenant_b)]:
            by_token, _ = await counted.request("GET", "/admin/v1/shop", headers=tenant.headers)
            by_key, _ = await counted.request("GET", "/admin/v1/shop", headers=keys[tenant.slug].headers)
            by_client, _ = await counted.request(
                "GET",
                "/storefront/v1/shop",
                base_url=origin(tenant),
                headers={"authorization": f"Bearer {storefront[tenant.slug]}"},
            )
            # The other tenant's credentials on this tenant: refused, on the connection that just served it.
            crossed, _ = await counted.request(
                "GET", "/admin/v1/shop", headers={"x-tenant": tenant.slug, "authorization": f"Bearer {other.token}"}
            )
            failed, _ = await counted.request(
                "PATCH", "/admin/v1/shop", json={"name": "never"}, headers={**tenant.headers, "if-match": '"999"'}
            )
            assert [r.json()["name"] for r in (by_token, by_key, by_client)] == [tenant.name] * 3
            assert crossed.status_code == 401
            assert failed.status_code == 412


async def test_the_reader_routes_nothing_and_raw_sql_on_it_finds_no_tenant_table(
    counted: CountedApp, tenant_a: TenantHandle
) -> None:
    database = counted.app.state.commerce.database
    reader = database.tenant_reader(tenant_a.schema_name)
    with pytest.raises(ProgrammingError, match="does not exist"):
        await reader.one_or_none(text("SELECT name FROM shop_settings"))
    assert (await counted.request("GET", "/admin/v1/shop", headers=tenant_a.headers))[0].status_code == 200

    path = await reader.one_or_none(text("SELECT current_setting('search_path') AS path"))

    assert path is not None
    assert tenant_a.schema_name not in path["path"]
