"""The sliding window and the login throttle's rules, on the in-process limiter with a clock the tests move."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.errors import TooManyAttempts
from core.ratelimit import (
    InProcessRateLimiter,
    LoginThrottle,
    LoginThrottleConfig,
    RateLimit,
    RateLimitState,
    RedisRateLimiter,
    create_rate_limiter,
)
from core.settings import RateLimitSettings, Settings

SCOPE = "staff:00000000-0000-0000-0000-000000000001"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> InProcessRateLimiter:
    return InProcessRateLimiter(clock=clock)


@pytest.fixture
def throttle(limiter: InProcessRateLimiter) -> LoginThrottle:
    return LoginThrottle(
        limiter, LoginThrottleConfig(max_failures_per_account=3, max_failures_per_ip=5, window_seconds=60)
    )


async def fail(throttle: LoginThrottle, scope: str, account: str, ip: str | None) -> None:
    """One failed sign-in, as the login endpoints make it."""
    await throttle.check(scope=scope, account=account, ip=ip)
    await throttle.record_failure(scope=scope, account=account, ip=ip)


async def test_hits_use_up_the_limit_then_report_when_a_slot_frees(
    limiter: InProcessRateLimiter, clock: FakeClock
) -> None:
    rule = RateLimit(limit=3, window_seconds=10)
    states = []
    for _ in range(3):
        states.append(await limiter.hit("k", rule))
        clock.now += 1
    assert [s.remaining for s in states] == [2, 1, 0]
    assert all(s.allowed for s in states)
    assert states[-1] == RateLimitState(limit=3, remaining=0, retry_after_seconds=8.0)  # first hit at t, now t+2
    assert await limiter.peek("k", rule) == RateLimitState(3, 0, 7.0, allowed=False)
    assert await limiter.hit("k", rule) == RateLimitState(3, 0, 7.0, allowed=False)


async def test_the_window_slides_one_event_at_a_time(limiter: InProcessRateLimiter, clock: FakeClock) -> None:
    rule = RateLimit(limit=2, window_seconds=10)
    await limiter.hit("k", rule)
    clock.now += 4
    await limiter.hit("k", rule)
    clock.now += 6  # the first event leaves the window, the second stays
    assert await limiter.peek("k", rule) == RateLimitState(limit=2, remaining=1, retry_after_seconds=0.0)
    clock.now += 4
    assert (await limiter.peek("k", rule)).remaining == 2


async def test_peek_counts_nothing_and_reset_forgets(limiter: InProcessRateLimiter) -> None:
    rule = RateLimit(limit=2, window_seconds=10)
    for _ in range(5):
        await limiter.peek("k", rule)
    assert (await limiter.hit("k", rule)).remaining == 1
    await limiter.reset("k")
    assert (await limiter.peek("k", rule)).remaining == 2


async def test_hits_past_the_limit_do_not_extend_the_block(limiter: InProcessRateLimiter, clock: FakeClock) -> None:
    rule = RateLimit(limit=2, window_seconds=10)
    for _ in range(2):
        await limiter.hit("k", rule)
    clock.now += 5
    blocked = await limiter.hit("k", rule)
    assert (blocked.remaining, blocked.retry_after_seconds) == (0, 5.0)
    clock.now += 5
    assert (await limiter.peek("k", rule)).remaining == 2


async def test_memory_is_bounded_by_evicting_the_least_recently_hit_key(clock: FakeClock) -> None:
    limiter = InProcessRateLimiter(max_keys=2, clock=clock)
    rule = RateLimit(limit=5, window_seconds=60)
    for key in ["a", "b", "a", "c"]:
        await limiter.hit(key, rule)
    assert [(await limiter.peek(key, rule)).remaining for key in ["a", "b", "c"]] == [3, 5, 4]


def test_a_rule_needs_a_positive_limit_and_window() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        RateLimit(limit=0, window_seconds=10)
    with pytest.raises(ValueError, match="window_seconds > 0"):
        RateLimit(limit=1, window_seconds=0)


async def test_failures_block_the_account_with_a_retry_after(throttle: LoginThrottle, clock: FakeClock) -> None:
    for _ in range(3):
        await fail(throttle, SCOPE, "ann@example.com", "203.0.113.7")
        clock.now += 10
    with pytest.raises(TooManyAttempts) as raised:
        await throttle.check(scope=SCOPE, account="ann@example.com", ip="198.51.100.1")  # another address too
    assert raised.value.retry_after_seconds == 30.0  # first failure at t, now t+30, window 60
    assert raised.value.headers() == {"Retry-After": "30"}
    clock.now += 30
    await throttle.check(scope=SCOPE, account="ann@example.com", ip="203.0.113.7")


async def test_check_counts_the_attempt_until_a_success(throttle: LoginThrottle) -> None:
    for _ in range(3):
        await throttle.check(scope=SCOPE, account="ann@example.com", ip="203.0.113.7")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="ann@example.com", ip="203.0.113.7")
    await throttle.record_success(scope=SCOPE, account="ann@example.com")
    await throttle.check(scope=SCOPE, account="ann@example.com", ip="203.0.113.7")


async def test_parallel_attempts_get_no_more_guesses_than_the_limit(throttle: LoginThrottle) -> None:
    guesses = 0

    async def attempt() -> None:
        nonlocal guesses
        try:
            await throttle.check(scope=SCOPE, account="ann@example.com", ip=None)
        except TooManyAttempts:
            return
        guesses += 1
        await asyncio.sleep(0)  # the password hash: every other attempt runs its check meanwhile
        await throttle.record_failure(scope=SCOPE, account="ann@example.com", ip=None)

    await asyncio.gather(*(attempt() for _ in range(20)))
    assert guesses == 3


async def test_the_account_is_normalised(throttle: LoginThrottle) -> None:
    for account in ["Ann@Example.com", " ann@example.com", "ANN@EXAMPLE.COM "]:
        await fail(throttle, SCOPE, account, None)
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="ann@example.com", ip=None)


async def test_success_clears_the_account_but_not_the_address(throttle: LoginThrottle) -> None:
    for i in range(4):
        await fail(throttle, SCOPE, f"user{i}@example.com", "203.0.113.7")
    await fail(throttle, SCOPE, "ann@example.com", "203.0.113.7")  # the address's 5th
    await throttle.record_success(scope=SCOPE, account="ann@example.com")
    await throttle.check(scope=SCOPE, account="ann@example.com", ip="198.51.100.1")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="ann@example.com", ip="203.0.113.7")


async def test_an_address_at_its_limit_is_blocked_for_every_account(throttle: LoginThrottle) -> None:
    for i in range(5):
        await fail(throttle, SCOPE, f"user{i}@example.com", "203.0.113.7")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="never-tried@example.com", ip="203.0.113.7")
    await throttle.check(scope=SCOPE, account="never-tried@example.com", ip="203.0.113.8")


async def test_an_ipv6_client_is_counted_by_its_64_and_mapped_ipv4_as_ipv4(throttle: LoginThrottle) -> None:
    for i in range(5):
        await fail(throttle, SCOPE, f"user{i}@example.com", f"2001:db8:1:2::{i + 1:x}")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="x@example.com", ip="2001:db8:1:2:ffff::1")
    await throttle.check(scope=SCOPE, account="x@example.com", ip="2001:db8:1:3::1")

    for i in range(5):
        await fail(throttle, SCOPE, f"v4user{i}@example.com", "::ffff:192.0.2.1")
    with pytest.raises(TooManyAttempts):
        await throttle.check(scope=SCOPE, account="x@example.com", ip="192.0.2.1")


async def test_scopes_are_counted_apart(throttle: LoginThrottle) -> None:
    for _ in range(3):
        await fail(throttle, "staff:t1", "ann@example.com", "203.0.113.7")

    with pytest.raises(TooManyAttempts):  # the account is at its limit in the scope that counted the failures
        await throttle.check(scope="staff:t1", account="ann@example.com", ip="203.0.113.7")
    # ... and nowhere else: these raise if the scopes shared a counter.
    await throttle.check(scope="customer:t1", account="ann@example.com", ip="203.0.113.7")
    await throttle.check(scope="staff:t2", account="ann@example.com", ip="203.0.113.7")


async def test_the_problem_names_neither_the_account_nor_the_address(throttle: LoginThrottle) -> None:
    for _ in range(3):
        await fail(throttle, SCOPE, "ann@example.com", "203.0.113.7")
    with pytest.raises(TooManyAttempts) as raised:
        await throttle.check(scope=SCOPE, account="ann@example.com", ip="203.0.113.7")
    body = json.dumps(raised.value.to_dict("/admin/v1/auth/token"))
    assert raised.value.status == 429
    assert raised.value.to_dict()["code"] == "too_many_login_attempts"
    assert "ann" not in body
    assert "203.0.113" not in body
    assert "ann" not in str(raised.value)


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (899.01, "900")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert TooManyAttempts(retry_after_seconds=seconds).headers() == {"Retry-After": header}


async def test_factory_picks_redis_only_for_redis_urls() -> None:
    redis_limiter = create_rate_limiter("rediss://cache.example.com:6380/2")  # connects lazily
    assert isinstance(redis_limiter, RedisRateLimiter)
    await redis_limiter.aclose()
    assert isinstance(create_rate_limiter(""), InProcessRateLimiter)
    assert isinstance(create_rate_limiter("memory://"), InProcessRateLimiter)


def test_settings_take_the_conventional_redis_url_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMMERCE_REDIS_URL", raising=False)
    monkeypatch.delenv("COMMERCE_RATELIMIT__REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert Settings().ratelimit.redis_url == ""
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    assert Settings().ratelimit.redis_url == "redis://redis:6379/0"
    monkeypatch.setenv("COMMERCE_RATELIMIT__REDIS_URL", "redis://limits:6379/3")
    monkeypatch.setenv("COMMERCE_RATELIMIT__LOGIN_MAX_FAILURES_PER_ACCOUNT", "7")
    settings = Settings()
    assert settings.ratelimit.redis_url == "redis://limits:6379/3"
    assert LoginThrottleConfig.from_settings(settings.ratelimit) == LoginThrottleConfig(
        max_failures_per_account=7, max_failures_per_ip=50, window_seconds=900.0
    )
    assert RateLimitSettings().login_window_seconds == 900.0
