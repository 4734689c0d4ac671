"""Discount limits under real concurrency: each redemption runs in its own session, transaction and connection,
all at once (asyncio.gather; a barrier holds every transaction open until all 20 are, so they truly overlap), as
20 checkouts finalizing together would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from commerce.discounts.models import Discount, DiscountRedemption
from commerce.pricing import (
    Destination,
    DiscountCodeNotFound,
    DiscountNotApplicable,
    QuoteRequest,
    redeem_discount,
)
from core.clock import utcnow
from core.db import Database
from core.settings import Settings
from tenants.context import tenant_session
from tests.fixtures.catalog import MakeProduct
from tests.fixtures.pricing import AdminPost, QuoteIn, line, money
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import context_of

CONCURRENT = 20


@pytest_asyncio.fixture(loop_scope="session")
async def wide(settings: Settings) -> AsyncIterator[Database]:
    """A database handle with a connection for each concurrent checkout (the shared one has 8)."""
    database = Database(settings.db.model_copy(update={"pool_size": CONCURRENT, "max_overflow": 0}))
    yield database
    await database.dispose()


async def _redeem(
    database: Database,
    tenant: TenantHandle,
    discount_id: uuid.UUID,
    order_id: uuid.UUID,
    barrier: asyncio.Barrier | None = None,
    **who: Any,
) -> str:
    """One finalize: redeem in a fresh session and commit; 'ok' or the refusal's reason. With ``barrier``, the
    transaction is open (and its connection held) before any of the others redeems."""
    context = await context_of(database, tenant)
    async with tenant_session(database, context) as db:
        if barrier is not None:
            await db.execute(select(1))
            async with asyncio.timeout(60):
                await barrier.wait()
        try:
            await redeem_discount(
                db,
                discount_id=discount_id,
                order_id=order_id,
                customer_id=who.get("customer_id"),
                email=who.get("email"),
                now=utcnow(),
            )
        except DiscountNotApplicable as refused:
            await db.rollback()
            return str(refused.reason)
        await db.commit()
        return "ok"


async def _state(database: Database, tenant: TenantHandle, discount_id: uuid.UUID) -> tuple[int, int]:
    """(times_used, redemption rows) of the discount, read after everything committed."""
    async with tenant_session(database, await context_of(database, tenant)) as db:
        used = await db.scalar(select(Discount.times_used).where(Discount.id == discount_id))
        rows = await db.scalar(
            select(func.count()).select_from(DiscountRedemption).where(DiscountRedemption.discount_id == discount_id)
        )
        return int(used or 0), int(rows or 0)


async def _discount(admin_post: AdminPost, tenant: TenantHandle, **body: Any) -> uuid.UUID:
    created = await admin_post(
        tenant, "/discounts", {"code": f"C{uuid.uuid4().hex[:8]}", "kind": "free_shipping", **body}
    )
    return uuid.UUID(created["id"])


async def test_a_usage_limit_of_one_under_twenty_concurrent_checkouts_is_redeemed_once(
    database: Database, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    discount = await _discount(admin_post, tenant_a, usage_limit=1)

    outcomes = await asyncio.gather(
        *(
            _redeem(database, tenant_a, discount, uuid.uuid4(), email=f"shopper{n}@example.com")
            for n in range(CONCURRENT)
        )
    )

    assert sorted(outcomes) == ["ok"] + ["usage_limit_reached"] * (CONCURRENT - 1)
    assert await _state(database, tenant_a, discount) == (1, 1)


async def test_a_per_customer_limit_of_one_under_twenty_concurrent_checkouts_is_redeemed_once(
    database: Database, wide: Database, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    discount = await _discount(admin_post, tenant_a, per_customer_limit=1)
    customer = uuid.uuid4()
    barrier = asyncio.Barrier(CONCURRENT)

    outcomes = await asyncio.gather(
        *(_redeem(wide, tenant_a, discount, uuid.uuid4(), barrier, customer_id=customer) for _ in range(CONCURRENT))
    )

    assert sorted(outcomes) == ["customer_limit_reached"] * (CONCURRENT - 1) + ["ok"]
    assert await _state(database, tenant_a, discount) == (1, 1)
    # Another customer still may.
    assert await _redeem(database, tenant_a, discount, uuid.uuid4(), customer_id=uuid.uuid4()) == "ok"


async def test_guests_are_counted_by_email_whatever_its_case(
    database: Database, wide: Database, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    discount = await _discount(admin_post, tenant_a, per_customer_limit=1)
    emails = [f"{'Guest' if n % 2 else 'guest'}@Example.com" for n in range(CONCURRENT)]
    barrier = asyncio.Barrier(CONCURRENT)

    outcomes = await asyncio.gather(
        *(_redeem(wide, tenant_a, discount, uuid.uuid4(), barrier, email=email) for email in emails)
    )

    assert outcomes.count("ok") == 1
    assert await _state(database, tenant_a, discount) == (1, 1)


async def test_a_replayed_finalize_redeems_once(
    database: Database, wide: Database, tenant_a: TenantHandle, admin_post: AdminPost
) -> None:
    discount = await _discount(admin_post, tenant_a, usage_limit=1)
    order = uuid.uuid4()
    barrier = asyncio.Barrier(5)

    outcomes = await asyncio.gather(*(_redeem(wide, tenant_a, discount, order, barrier) for _ in range(5)))

    # The same order (a webhook and a confirm racing, a retried finalize): every call succeeds, one use counts.
    assert outcomes == ["ok"] * 5
    assert await _state(database, tenant_a, discount) == (1, 1)


async def test_quote_refuses_a_used_up_code_and_each_other_reason(
    database: Database, tenant_a: TenantHandle, admin_post: AdminPost, quote_in: QuoteIn, make_product: MakeProduct
) -> None:
    now = utcnow()
    product = uuid.uuid4()
    codes: dict[str, dict[str, Any]] = {
        "usage_limit_reached": {"usage_limit": 1},
        "customer_limit_reached": {"per_customer_limit": 1},
        "expired": {"ends_at": (now - timedelta(minutes=1)).isoformat()},
        "not_started": {"starts_at": (now + timedelta(days=1)).isoformat()},
        "minimum_subtotal": {"minimum_subtotals": money(EUR=5000)},
        "currency": {"kind": "fixed_amount", "amounts": money(USD=500)},
    }
    ids = {reason: await _discount(admin_post, tenant_a, **body) for reason, body in codes.items()}
    # Use up the first two: one redemption each by the shopper who quotes next.
    assert await _redeem(database, tenant_a, ids["usage_limit_reached"], uuid.uuid4()) == "ok"
    assert (
        await _redeem(database, tenant_a, ids["customer_limit_reached"], uuid.uuid4(), email="me@example.com") == "ok"
    )

    async def reason(discount_id: uuid.UUID) -> str:
        async with tenant_session(database, await context_of(database, tenant_a)) as db:
            code = await db.scalar(select(Discount.code).where(Discount.id == discount_id))
        request = QuoteRequest(
            "EUR", [line("a", 1000, product_id=product)], Destination("FR", None), None, code, None, "ME@example.com"
        )
        with pytest.raises(DiscountNotApplicable) as refused:
            await quote_in(tenant_a, request)
        assert refused.value.status == 409
        return str(refused.value.reason)

    assert {name: await reason(discount_id) for name, discount_id in ids.items()} == {name: name for name in codes}

    elsewhere = (await make_product(tenant_a))["id"]
    await admin_post(
        tenant_a,
        "/discounts",
        {"code": "OnlyThat", "kind": "percentage", "percentage_bps": 500, "product_ids": [elsewhere]},
    )
    with pytest.raises(DiscountNotApplicable) as no_line:
        await quote_in(
            tenant_a, QuoteRequest("EUR", [line("a", 1000, product_id=product)], None, None, "onlythat", None, None)
        )
    assert no_line.value.reason == "no_eligible_lines"
    with pytest.raises(DiscountCodeNotFound):
        await quote_in(tenant_a, QuoteRequest("EUR", [line("a", 1000)], None, None, "NOPE", None, None))
