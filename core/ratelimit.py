"""Rate limits: sliding windows counted in Redis (shared by every process) or in process memory.

A login is protected by ``LoginThrottle``, per account and per client address:

    await throttle.check(scope=f"staff:{tenant.id}", account=email, ip=client_ip)  # or TooManyAttempts
    if not await passwords.verify(...):  # unknown accounts fail here too, and are counted the same
        await throttle.record_failure(scope=..., account=email, ip=client_ip)
        raise InvalidCredentials()
    await throttle.record_success(scope=..., account=email)

Logical keys are hashed before they are stored: emails and addresses never sit in Redis in clear,
and a key's size does not depend on what a client sent.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.errors import TooManyAttempts
from core.settings import RateLimitSettings

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` events in any ``window_seconds`` (a sliding window)."""

    limit: int
    window_seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or not self.window_seconds > 0:
            raise ValueError("a rate limit needs limit >= 1 and window_seconds > 0")


@dataclass(frozen=True)
class RateLimitState:
    """A key's state after a call: ``remaining`` events allowed from now; when none, the wait until one is.

    ``allowed``: for ``hit``, whether the event was admitted (and counted); for ``peek``, whether one would be.
    The last admitted event leaves ``remaining`` at 0 with ``allowed`` true.
    """

    limit: int
    remaining: int
    retry_after_seconds: float  # 0 while remaining > 0
    allowed: bool = True

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


class RateLimiter(Protocol):
    async def hit(self, key: str, rule: RateLimit) -> RateLimitState:
        """Count one event against ``key``, atomically with the check that it fits, and return the state
        after it. An event past the limit is refused (``allowed`` false) and not stored: storing it would
        let a client grow a key without bound."""
        ...

    async def peek(self, key: str, rule: RateLimit) -> RateLimitState:
        """The state of ``key`` without counting anything."""
        ...

    async def reset(self, key: str) -> None:
        """Forget every event of ``key``."""
        ...

    async def aclose(self) -> None: ...


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _state(rule: RateLimit, events: Sequence[float], now: float, *, allowed: bool) -> RateLimitState:
    """``events``: the times of the events still in the window, oldest first."""
    count = len(events)
    if count < rule.limit:
        return RateLimitState(rule.limit, rule.limit - count, 0.0, allowed)
    # A slot frees when the event that keeps the count at the limit leaves the window.
    retry_after = max(0.0, events[count - rule.limit] + rule.window_seconds - now)
    return RateLimitState(rule.limit, 0, retry_after, allowed)


class InProcessRateLimiter:
    """Sliding window log in this process's memory; at most ``max_keys`` keys (the least recently hit go first).

    Every operation runs without awaiting under a ``threading.Lock``: atomic for coroutines, safe for
    threads, and not bound to an event loop (an ``asyncio.Lock`` is, once contended).
    """

    def __init__(self, max_keys: int = 100_000, *, clock: Clock = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self._max_keys = max_keys
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    async def hit(self, key: str, rule: RateLimit) -> RateLimitState:
        return self._apply(_digest(key), rule, count=True)

    async def peek(self, key: str, rule: RateLimit) -> RateLimitState:
        return self._apply(_digest(key), rule, count=False)

    async def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(_digest(key), None)

    async def aclose(self) -> None:
        return None

    def _apply(self, digest: str, rule: RateLimit, *, count: bool) -> RateLimitState:
        with self._lock:
            now = self._clock()  # read under the lock, so each key's times stay in order across threads
            events = self._events.get(digest, deque())
            while events and events[0] <= now - rule.window_seconds:
                events.popleft()
            allowed = len(events) < rule.limit
            if count and allowed:
                events.append(now)
                self._events[digest] = events
                self._events.move_to_end(digest)
                while len(self._events) > self._max_keys:
                    self._events.popitem(last=False)
            elif not events:
                self._events.pop(digest, None)
            return _state(rule, events, now, allowed=allowed)


# One atomic step on a sorted set whose scores are event times in microseconds of the Redis server's clock:
# every API process shares that clock, so hosts with skewed clocks still agree on the window.
# KEYS[1] the set; ARGV: limit, window in microseconds, "1" to count an event ("0" to peek).
# Returns {remaining, microseconds until a slot frees (0 while remaining > 0), 1 if allowed else 0}.
_SLIDING_WINDOW = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  allowed = 1
end
if ARGV[3] == '1' and allowed == 1 then
  -- unique even for two events in one microsecond: the count differs
  redis.call('ZADD', KEYS[1], now, clock[1] .. '.' .. clock[2] .. '-' .. count)
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  count = count + 1
end
if count < limit then
  return {limit - count, 0, allowed}
end
local freeing = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, math.max(0, tonumber(freeing[2]) + window - now), allowed}
"""


class RedisRateLimiter:
    """Sliding window log in Redis, shared by every process; keys are ``prefix`` + sha256 of the logical key.

    Fails soft: while Redis cannot be reached (``RedisError``, ``OSError``), calls are answered by an
    in-process limiter, so logins stay throttled per process instead of failing or going unthrottled.
    One warning is logged per outage; after a failure Redis is tried again ``outage_retry_seconds`` later,
    so an outage costs one timeout every few seconds rather than one per login.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "commerce:rl:",
        timeout_seconds: float = 0.5,
        outage_retry_seconds: float = 5.0,
        clock: Clock = time.monotonic,
    ) -> None:
        # redis-py retries 10 times with backoff by default: seconds per login while Redis is down.
        self._redis = redis.asyncio.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 1),  # one immediate retry covers a pooled connection the server closed
        )
        self._script = self._redis.register_script(_SLIDING_WINDOW)
        self._prefix = prefix
        self._outage_retry_seconds = outage_retry_seconds
        self._clock = clock
        self._fallback = InProcessRateLimiter(clock=clock)
        self._in_outage = False
        self._next_attempt = -math.inf

    async def hit(self, key: str, rule: RateLimit) -> RateLimitState:
        state = await self._run(key, rule, count=True)
        return state if state is not None else await self._fallback.hit(key, rule)

    async def peek(self, key: str, rule: RateLimit) -> RateLimitState:
        state = await self._run(key, rule, count=False)
        return state if state is not None else await self._fallback.peek(key, rule)

    async def reset(self, key: str) -> None:
        await self._fallback.reset(key)
        if self._redis_due():
            try:
                await self._redis.delete(self._prefix + _digest(key))
            except (RedisError, OSError) as error:
                self._failed(error)
            else:
                self._recovered()

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def _run(self, key: str, rule: RateLimit, *, count: bool) -> RateLimitState | None:
        """The state from Redis, or None when Redis is unavailable."""
        if not self._redis_due():
            return None
        window_us = math.ceil(rule.window_seconds * 1_000_000)
        try:
            remaining, retry_after_us, allowed = await self._script(
                keys=[self._prefix + _digest(key)], args=[rule.limit, window_us, int(count)]
            )
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._recovered()
        return RateLimitState(rule.limit, int(remaining), int(retry_after_us) / 1_000_000, allowed == 1)

    def _redis_due(self) -> bool:
        return self._clock() >= self._next_attempt

    def _failed(self, error: Exception) -> None:
        self._next_attempt = self._clock() + self._outage_retry_seconds
        if not self._in_outage:
            self._in_outage = True
            logger.warning("Redis is unavailable for rate limits; counting in this process until it is back: %s", error)

    def _recovered(self) -> None:
        if self._in_outage:
            self._in_outage = False
            logger.info("Redis is available again for rate limits")


def create_rate_limiter(redis_url: str) -> RateLimiter:
    """Redis for a ``redis://`` or ``rediss://`` URL (shared by every process), else this process's memory."""
    if redis_url.startswith(("redis://", "rediss://")):
        return RedisRateLimiter(redis_url)
    return InProcessRateLimiter()


@dataclass(frozen=True)
class LoginThrottleConfig:
    max_failures_per_account: int = 5
    max_failures_per_ip: int = 50
    window_seconds: float = 900.0

    @classmethod
    def from_settings(cls, settings: RateLimitSettings) -> LoginThrottleConfig:
        return cls(
            max_failures_per_account=settings.login_max_failures_per_account,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            window_seconds=settings.login_window_seconds,
        )


class LoginThrottle:
    """Slows password guessing: sign-in attempts are counted per account and failures per client address,
    within a ``scope`` (``"staff:<tenant id>"``, ``"customer:<tenant id>"``). Either count at its maximum
    blocks the next attempts with ``TooManyAttempts`` until the oldest one leaves the window.

    ``check`` counts the attempt against the account before the password is verified, in the same atomic
    step that admits it: parallel requests cannot all pass a check made before any of them fails, so an
    account gets at most its maximum of guesses per window however many arrive at once. A success
    (``record_success``) clears the account's count, never the address's: one valid login must not reset
    a guesser's budget. The address counts failures only, so a busy office behind one address is not
    blocked by its successful sign-ins.
    """

    def __init__(self, limiter: RateLimiter, config: LoginThrottleConfig | None = None) -> None:
        self._limiter = limiter
        config = config or LoginThrottleConfig()
        self._per_account = RateLimit(config.max_failures_per_account, config.window_seconds)
        self._per_ip = RateLimit(config.max_failures_per_ip, config.window_seconds)

    async def check(self, *, scope: str, account: str, ip: str | None) -> None:
        """Admit one attempt, counted against the account until ``record_success``; raise ``TooManyAttempts``
        (counting nothing) if the address or the account has no attempt left. Call it once per attempt."""
        if ip is not None:
            by_ip = await self._limiter.peek(_ip_key(scope, ip), self._per_ip)
            if by_ip.exhausted:
                raise TooManyAttempts(retry_after_seconds=by_ip.retry_after_seconds)
        attempt = await self._limiter.hit(_account_key(scope, account), self._per_account)
        if not attempt.allowed:
            raise TooManyAttempts(retry_after_seconds=attempt.retry_after_seconds)

    async def record_failure(self, *, scope: str, account: str, ip: str | None) -> None:
        """Count a failed attempt against the address (``check`` counted it against the account already)."""
        if ip is not None:
            await self._limiter.hit(_ip_key(scope, ip), self._per_ip)

    async def record_success(self, *, scope: str, account: str) -> None:
        await self._limiter.reset(_account_key(scope, account))


# JSON arrays, so no scope or account can be crafted to collide with another's key.
def _account_key(scope: str, account: str) -> str:
    return json.dumps(["login", scope, "account", account.strip().lower()])


def _ip_key(scope: str, ip: str) -> str:
    return json.dumps(["login", scope, "ip", _client_network(ip)])


def _client_network(ip: str) -> str:
    """The address as one client holds it: IPv4 as is, IPv6 by its /64 (one host usually owns the whole /64)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip().lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
