"""Behind a transaction-mode pooler LISTEN hears nothing: the listener must say so loudly (issue #10 item 11)."""

from __future__ import annotations

import pytest

from tests.fixtures.listener import NOT_ARRIVING, delivery_verdict


async def test_the_listener_warns_when_notifications_do_not_arrive_through_pgbouncer(
    pgbouncer_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    verdict = await delivery_verdict(pgbouncer_url, caplog, probe_timeout_seconds=2.0, prepared_statements=True)

    assert verdict.startswith(NOT_ARRIVING)
    assert "COMMERCE_DB__LISTEN_URL" in verdict
    assert "COMMERCE_DB__PREPARE_THRESHOLD=none" in verdict
