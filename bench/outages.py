"""What clients of a live server see while Redis or PostgreSQL is refused or black-holed (issue #10, items 1 and 3).

    uv run python bench/outages.py              # needs Redis on 127.0.0.1:6379 for the broker part

The app is served by uvicorn on a loopback port with its broker and its database each behind a TCP proxy
(tests/fixtures/faults.py). Broker part: POST /platform/v1/tenants and /healthz, concurrently, with Redis
healthy, refused and black-holed, as ratios to the healthy medians. Database part: how long the API takes to
answer (503) with PostgreSQL refused and black-holed, against the bound (COMMERCE_DB__TIMEOUT_SECONDS, 10 s),
and how many requests it takes to serve again once the fault is lifted (no restart).
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = _ROOT
elif _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Awaitable  # noqa: E402
from typing import TypeVar  # noqa: E402

import httpx  # noqa: E402

from api.app import create_app  # noqa: E402
from auth.operators import service as operators_service  # noqa: E402
from auth.passwords import Passwords  # noqa: E402
from bench.common import CHEAP_ARGON2, bench_database, load_average, log, server_url  # noqa: E402
from core.db import Database  # noqa: E402
from core.settings import CelerySettings, DatabaseSettings, Environment, Settings  # noqa: E402
from tests.fixtures.faults import FaultProxy  # noqa: E402
from tests.fixtures.live import UvicornThread  # noqa: E402
from tests.fixtures.tenants import tenant_body  # noqa: E402

T = TypeVar("T")
REDIS = "redis://127.0.0.1:6379/14"
ROUNDS = 8


async def timed(work: Awaitable[T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = await work
    return result, time.perf_counter() - started


async def run(database_url: str) -> None:
    redis, postgres = FaultProxy("127.0.0.1", 6379).start(), FaultProxy("127.0.0.1", 5432).start()
    if database_url.count("host=/"):  # the embedded server listens on a Unix socket only
        raise SystemExit("bench/outages.py needs PostgreSQL on 127.0.0.1:5432")
    queue = f"bench-outages-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        environment=Environment.TEST,
        db=DatabaseSettings(url=postgres.url_for(database_url)),
        auth=CHEAP_ARGON2,
        celery=CelerySettings(broker_url=redis.url_for(REDIS), queue=queue),
    )
    email, password = "bench-operator@example.com", f"pw-{uuid.uuid4().hex}"  # pragma: allowlist secret
    setup = Database(DatabaseSettings(url=database_url))
    async with setup.public_session() as db:
        await operators_service.create_operator(db, Passwords(settings.auth), email=email, password=password)
        await db.commit()
    await setup.dispose()
    server = UvicornThread(create_app(settings, listen_for_tenant_changes=False)).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as http:
            token = (await http.post("/platform/v1/auth/token", json={"email": email, "password": password})).json()
            headers = {"authorization": f"Bearer {token['access_token']}"}
            print(
                f"load average {load_average()}; {ROUNDS} rounds of one POST /platform/v1/tenants beside one /healthz"
            )
            baseline: dict[str, float] = {}
            for fault in ["none", "refuse", "blackhole"]:
                if fault != "none":
                    getattr(redis, fault)()
                posts, lives = [], []
                for _ in range(ROUNDS):
                    body = tenant_body().model_dump()
                    (post, post_s), (live, live_s) = await asyncio.gather(
                        timed(http.post("/platform/v1/tenants", json=body, headers=headers)),
                        timed(http.get("/healthz")),
                    )
                    if post.status_code != 201 or live.status_code != 200:
                        raise SystemExit(f"unexpected answer: {post.status_code} {live.status_code} {post.text}")
                    posts.append(post_s)
                    lives.append(live_s)
                post_median, live_max = statistics.median(posts), max(lives)
                baseline.setdefault("post", post_median)
                print(
                    f"redis {fault:9s}  POST median {post_median * 1000:6.0f} ms (x{post_median / baseline['post']:.2f})"
                    f"  max {max(posts) * 1000:6.0f} ms   /healthz max {live_max * 1000:5.0f} ms"
                )
                redis.restore()
            for fault in ["refuse", "blackhole"]:
                getattr(postgres, fault)()
                answers = await asyncio.gather(
                    *(timed(http.get("/platform/v1/tenants", headers=headers)) for _ in range(ROUNDS))
                )
                codes = sorted({response.json().get("code", "?") for response, _ in answers})
                statuses = sorted({response.status_code for response, _ in answers})
                slowest = max(seconds for _, seconds in answers)
                print(
                    f"postgres {fault:9s}  statuses {statuses} {codes}  slowest {slowest:.2f} s "
                    f"(bound {settings.db.timeout_seconds:.0f} s)"
                )
                postgres.restore()
                for attempt in range(1, 50):
                    if (await http.get("/platform/v1/tenants", headers=headers)).status_code == 200:
                        print(f"  serving again after {attempt} request(s), no restart")
                        break
                    await asyncio.sleep(0.1)
    finally:
        server.stop()
        redis.stop()
        postgres.stop()
        _drop_queue(queue)


def _drop_queue(queue: str) -> None:
    import redis as redis_client

    client = redis_client.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"*{queue}*"):
        client.delete(key)


def main() -> None:
    log("bench/outages.py: a throw-away database on the local server")
    with bench_database(server_url(None)) as database_url:
        asyncio.run(run(database_url))


if __name__ == "__main__":
    main()
