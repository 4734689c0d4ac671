"""The request deadline: no request waits longer than ``COMMERCE_DB__TIMEOUT_SECONDS``.

Connect, pool and statement timeouts bound each wait on the database, but not their sum, and none of them
helps when a connection is black-holed (a partition where something still acknowledges the packets). Past
the deadline the client gets 503 ``request_timeout`` with ``Retry-After`` at once, from a side task, and the
request's own task is cancelled: psycopg then cancels the query on the server (bounded: about 10 s) and the
transaction rolls back, in the background. A response that has already started is left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import send_problem
from core.errors import RequestTimedOut

log = logging.getLogger(__name__)


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        started = False
        responder: asyncio.Task[None] | None = None

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if responder is not None:  # already answered 503: the late handler's output goes nowhere
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        def expire() -> None:
            nonlocal responder
            if started or task is None:
                return
            responder = asyncio.ensure_future(send_problem(send, RequestTimedOut(retry_after=1), scope["path"]))
            task.cancel(msg="request deadline")

        # A timer, not a wrapping task: the request keeps its own task and context variables (tenant, request id).
        timer = asyncio.get_running_loop().call_later(self.seconds, expire)
        try:
            await self.app(scope, receive, guarded_send)
        except asyncio.CancelledError:
            if responder is None or task is None or task.uncancel() > 0:
                raise  # not (only) our cancellation: the server or the client went away
            log.warning("request deadline passed", extra={"path": scope["path"], "deadline_seconds": self.seconds})
        except Exception:
            if responder is None:
                raise
            log.warning("request failed after its deadline", exc_info=True, extra={"path": scope["path"]})
        finally:
            timer.cancel()
            if responder is not None:
                with contextlib.suppress(Exception):
                    await responder
