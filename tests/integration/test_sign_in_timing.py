"""A failed staff sign-in costs the same whichever way it fails, so its timing does not reveal who has an account.

A statistical check with a generous bound, not a timing assertion on one call: the three failure paths are
sampled interleaved (so load on the machine hits them alike) and their medians compared.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from fastapi import FastAPI

from api.app import create_app
from auth.passwords import Passwords
from auth.staff.models import StaffMember, StaffRole
from core.db import Database
from core.settings import AuthSettings, RateLimitSettings, Settings
from tests.fixtures.http import asgi_client
from tests.fixtures.tenants import TenantHandle

ROUNDS = 25
# A work factor that dominates a request's other costs (about 40 ms a verification here), unlike the suite's
# fast one; the owner's one-time password keeps its own cheap hash, as in production.
SLOW_ARGON2 = {"argon2_time_cost": 2, "argon2_memory_cost_kib": 32_768, "argon2_parallelism": 1}


@pytest_asyncio.fixture(loop_scope="session")
async def slow_hashing_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with a real work factor, and sign-in limits out of the way (this test fails on purpose, often)."""
    slow = settings.model_copy(
        update={
            "auth": AuthSettings(**SLOW_ARGON2),
            "ratelimit": RateLimitSettings(login_max_failures_per_account=10_000, login_max_failures_per_ip=10_000),
        }
    )
    application = create_app(slow, listen_for_tenant_changes=False)
    yield application
    await application.state.commerce.database.dispose()
    await application.state.commerce.auth.close()


async def test_every_failed_sign_in_path_costs_the_same(
    slow_hashing_app: FastAPI, database: Database, tenant_a: TenantHandle
) -> None:
    member_email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    async with database.scoped_session(tenant_a.schema_name) as db:
        password_hash = await Passwords(AuthSettings(**SLOW_ARGON2)).hash("the-members-real-password")
        db.add(StaffMember(email=member_email, password_hash=password_hash, role=StaffRole.STAFF))
        await db.commit()
    cases = {
        "owner with a one-time password": tenant_a.owner_email,
        "unknown email": f"nobody-{uuid.uuid4().hex[:8]}@example.com",
        "member with a password": member_email,
    }
    samples: dict[str, list[float]] = {case: [] for case in cases}
    order = random.Random(10)
    async with asgi_client(slow_hashing_app) as http:
        for round_number in range(ROUNDS + 1):
            for case in order.sample(list(cases), len(cases)):
                email = cases[case]
                started = time.perf_counter()
                response = await http.post(
                    "/admin/v1/auth/token",
                    json={"email": email, "password": "wrong-password"},  # pragma: allowlist secret
                    headers={"x-tenant": tenant_a.slug},
                )
                if round_number:  # the first round warms up (connections, allocations)
                    samples[case].append(time.perf_counter() - started)
                assert response.status_code == 401, response.text

    # Each sample against its own round's median: a burst of load on the shared machine slows a whole round,
    # not one case, so it cancels out; the three cases' medians of these ratios must agree within 20%.
    rounds = [statistics.median(times) for times in zip(*samples.values(), strict=True)]
    relative = {
        case: statistics.median(t / r for t, r in zip(times, rounds, strict=True)) for case, times in samples.items()
    }
    spread = max(relative.values()) / min(relative.values())
    medians = {case: f"{statistics.median(times) * 1000:.1f} ms" for case, times in samples.items()}
    assert spread <= 1.2, {"medians": medians, "relative to each round": relative}
