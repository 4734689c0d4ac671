"""Login throttling on every available backend: in-process always, Redis too when REDIS_URL is set (as in CI).

Each test counts under its own Redis key prefix, so runs sharing one Redis never see each other's counts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import cast

import pytest
import pytest_asyncio
import redis.asyncio

from core.errors import TooManyAttempts
from core.ratelimit import (
    InProcessRateLimiter,
    LoginThrottle,
    LoginThrottleConfig,
    RateLimit,
    RateLimiter,
    RedisRateLimiter,
)

REDIS_URL = os.environ.get("REDIS_URL", "")
BACKENDS = ["in-process", "redis"]
SCOPE = "customer:00000000-0000-0000-0000-000000000002"
EMAIL = "Shopper.Secret@example.com"
IP = "203.0.113.9"
# Long enough that nothing expires by itself during a test on a loaded machine: the window is passed by moving
# time (let_the_window_pass), never by waiting for it.
WINDOW = 60.0


class ManualClock:
    """The in-process limiter's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def prefix() -> str:
    return f"commerce-test:rl:{uuid.uuid4().hex[:12]}:"


@pytest_asyncio.fixture(params=BACKENDS)
async def limiter(
    request: pytest.FixtureRequest, prefix: str, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[RateLimiter]:
    if request.param == "in-process":
        yield InProcessRateLimiter(clock=ManualClock())
        return
    if not REDIS_URL:  # reported, never silent: `pytest -rs` names what was not tested here
        pytest.skip("REDIS_URL is not set: the Redis rate limiter is not tested in this run")
    backend = RedisRateLimiter(REDIS_URL, prefix=prefix)
    yield backend
    await backend.aclose()
    # The limiter falls back to memory when Redis fails: a warning here means Redis was never really tested.
    assert not [r.getMessage() for r in caplog.get_records("call") if r.name == "core.ratelimit"]
    async with redis.asyncio.from_url(REDIS_URL) as client:  # leave nothing behind in a shared Redis
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)


def make_throttle(limiter: RateLimiter) -> LoginThrottle:
    config = LoginThrottleConfig(max_failures_per_account=3, max_failures_per_ip=5, window_seconds=WINDOW)
    return LoginThrottle(limiter, config)


async def fail(throttle: LoginThrottle, account: str = EMAIL, ip: str = IP, times: int = 1) -> None:
    for _ in range(times):
        await throttle.check(scope=SCOPE, account=account, ip=ip)
        await throttle.record_failure(scope=SCOPE, account=account, ip=ip)


async def test_failures_block_then_the_window_expiry_unblocks(limiter: RateLimiter, prefix: str) -> None:
    throttle = make_throttle(limiter)
    await fail(throttle, times=3)
    with pytest.raises(TooManyAttempts) as raised:
        await throttle.check(scope=SCOPE, account=EMAIL, ip=IP)
    assert 0 < raised.value.retry_after_seconds <= WINDOW
    assert raised.value.headers()["Retry-After"] in {"59", "60"}  # whole seconds, rounded up
    await let_the_window_pass(limiter, prefix, seconds=WINDOW + 0.1)
    await throttle.check(scope=SCOPE, account=EMAIL, ip=IP)


async def let_the_window_pass(limiter: RateLimiter, prefix: str, *, seconds: float) -> None:
    """Age every recorded event by ``seconds``, without waiting: the in-process clock moves forward; in Redis
    (whose own clock the limiter reads) the stored event times move back."""
    if isinstance(limiter, InProcessRateLimiter):
        clock = limiter._clock
        assert isinstance(clock, ManualClock)
        clock.now += seconds
        return
    assert isinstance(limiter, RedisRateLimiter)
    async with redis.asyncio.from_url(REDIS_URL, decode_responses=True) as client:
        async for key in client.scan_iter(match=prefix + "*"):
            events = cast(list[tuple[str, float]], await client.zrange(key, 0, -1, withscores=True))
            await client.zadd(key, {member: score - seconds * 1_000_000 for member, score in events})


async def test_success_resets_the_account_but_not_the_address(limiter: RateLimiter) -> None:
    throttle = make_throttle(limiter)
    await fail(throttle, account="other@example.com", times=2)
    await fail(throttle, times=3)  # the address's 5th failure too
    await throttle.record_success(scope=SCOPE, account=EMAIL)
    await throttle.check(scope=SCOPE, account=EMAIL, ip="198.51.100.20")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account=EMAIL, ip=IP)


async def test_an_address_at_its_limit_blocks_another_account(limiter: RateLimiter) -> None:
    throttle = make_throttle(limiter)
    for i in range(5):
        await fail(throttle, account=f"guess{i}@example.com")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="fresh@example.com", ip=IP)
    await throttle.check(scope=SCOPE, account="fresh@example.com", ip="198.51.100.20")


async def test_concurrent_hits_admit_exactly_the_limit(limiter: RateLimiter) -> None:
    rule = RateLimit(limit=50, window_seconds=60)
    states = await asyncio.gather(*(limiter.hit("burst", rule) for _ in range(60)))
    assert sorted(s.remaining for s in states) == [0] * 11 + list(range(1, 50))
    assert sum(s.allowed for s in states) == 50  # admitted and counted in one atomic step
    assert (await limiter.peek("burst", rule)).exhausted


async def stored_keys(limiter: RateLimiter, prefix: str) -> list[str]:
    if isinstance(limiter, InProcessRateLimiter):
        return list(limiter._events)  # what this process keeps in memory
    async with redis.asyncio.from_url(REDIS_URL) as client:
        return [key.decode() async for key in client.scan_iter(match=prefix + "*")]


async def test_stored_keys_are_hashes_never_the_email_or_address(prefix: str, limiter: RateLimiter) -> None:
    await fail(make_throttle(limiter), times=3)
    keys = await stored_keys(limiter, prefix)
    assert len(keys) == 2  # the account's and the address's
    for key in keys:
        assert "shopper" not in key.lower()
        assert IP not in key
        assert len(key.removeprefix(prefix)) == 64  # sha256, hex: the size never depends on the input
    if isinstance(limiter, RedisRateLimiter):
        async with redis.asyncio.from_url(REDIS_URL, decode_responses=True) as client:
            for key in keys:
                assert 0 < await client.pttl(key) <= WINDOW * 1000  # Redis forgets idle keys by itself
                members = [str(m) for m in await client.zrange(key, 0, -1)]  # event times, nothing else
                assert not any("shopper" in m.lower() or IP in m for m in members)


async def test_redis_down_falls_back_to_this_process_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = RedisRateLimiter("redis://127.0.0.1:1/0", prefix="unused:", outage_retry_seconds=0)
    throttle = make_throttle(unreachable)
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        await fail(throttle, times=3)
        with pytest.raises(TooManyAttempts):  # still throttled, by this process
            await throttle.check(scope=SCOPE, account=EMAIL, ip=IP)
        await throttle.record_success(scope=SCOPE, account=EMAIL)
        await throttle.check(scope=SCOPE, account=EMAIL, ip="198.51.100.20")
    await unreachable.aclose()
    warnings = [r for r in caplog.records if r.name == "core.ratelimit"]
    assert len(warnings) == 1  # every call above tried Redis again (outage_retry_seconds=0)
    assert "unavailable" in warnings[0].getMessage()
    assert "shopper" not in warnings[0].getMessage().lower()
