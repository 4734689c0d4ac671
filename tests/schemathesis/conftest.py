"""The schemathesis tier: the served OpenAPI document, fuzzed over real HTTP with an operator's and a staff
member's credentials. Runs alone, when TEST_SCHEMATHESIS=1, with the `fuzz` dependency group (`.ci/run` does):

    TEST_SCHEMATHESIS=1 TEST_DATABASE_URL=... uv run --group fuzz pytest tests/schemathesis -p no:randomly
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.app import create_app
from auth.operators import service as operators_service
from auth.passwords import Passwords
from core.db import Database
from core.settings import RateLimitSettings, Settings
from tests.fixtures.live import UvicornThread
from tests.fixtures.tenants import tenant_body

if not os.environ.get("TEST_SCHEMATHESIS"):
    collect_ignore_glob = ["test_*.py"]


@dataclass(frozen=True)
class Served:
    base_url: str
    operator_token: str
    tenant_slug: str
    staff_token: str

    def headers_for(self, path: str) -> dict[str, str]:
        """The credential each surface takes: the operator on /platform, the shop's owner on /admin."""
        if path.startswith("/platform/"):
            return {"authorization": f"Bearer {self.operator_token}"}
        if path.startswith("/admin/"):
            return {"authorization": f"Bearer {self.staff_token}", "x-tenant": self.tenant_slug}
        if path.startswith(("/storefront/", "/oauth/", "/.well-known/")):
            return {"x-tenant": self.tenant_slug}
        return {}


@pytest.fixture(scope="session")
def served(billing_settings: Settings) -> Iterator[Served]:
    """The app under uvicorn on loopback with an operator and a tenant whose owner is signed in; billing on,
    against the local Stripe fake (tests/fakes), so its routes are fuzzed too.

    Sign-in limits count in this process, not in the suite's Redis (the fuzzer fails many sign-ins on purpose);
    OAuth runs over plain HTTP, as in development, so its endpoints are reached at all.
    """
    settings = billing_settings
    fuzz_settings = settings.model_copy(
        update={
            "ratelimit": RateLimitSettings(redis_url="memory://"),
            "auth": settings.auth.model_copy(update={"oauth_require_https": False}),
        }
    )
    server = UvicornThread(create_app(fuzz_settings, listen_for_tenant_changes=False)).start()
    try:
        email, password = f"fuzz-{uuid.uuid4().hex[:8]}@example.com", f"pw-{uuid.uuid4().hex}"
        _create_operator(settings, email, password)
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            operator = http.post("/platform/v1/auth/token", json={"email": email, "password": password})
            operator.raise_for_status()
            operator_token = operator.json()["access_token"]
            body = tenant_body()
            created = http.post(
                "/platform/v1/tenants", json=body.model_dump(), headers={"authorization": f"Bearer {operator_token}"}
            )
            created.raise_for_status()
            owner = created.json()["owner"]
            staff = http.post(
                "/admin/v1/auth/token",
                json={"email": owner["email"], "password": owner["password"]},
                headers={"x-tenant": body.slug},
            )
            staff.raise_for_status()
        yield Served(server.base_url, operator_token, body.slug, staff.json()["access_token"])
    finally:
        server.stop()


def _create_operator(settings: Settings, email: str, password: str) -> None:
    async def create() -> None:
        database = Database(settings.db)
        try:
            async with database.public_session() as db:
                await operators_service.create_operator(db, Passwords(settings.auth), email=email, password=password)
                await db.commit()
        finally:
            await database.dispose()

    asyncio.run(create())
