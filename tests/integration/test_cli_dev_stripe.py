"""`commerce dev`'s Stripe fake: the settings point at it, the demo tenant's account takes charges (also after a
restart, when the fresh fake has forgotten it), `commerce dev-pay` pays as Stripe.js would, and the fake's
events reach the dev server's webhook inbox, signed as the inbox verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from api.app import create_app
from billing.gateway import StripeGateway
from billing.models import StripeAccount, StripeEvent
from cli.serving import ensure_demo
from cli.stripe_fake import STATE_FILE, ensure_demo_payments, local_url, start_stripe_fake
from core.db import Database
from core.jobs import outbox_session_info
from core.settings import Settings


def dev_pay(settings: Settings, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.db.url,
        "COMMERCE_DATA_DIR": str(data_dir),
        "COMMERCE_LOG__LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    command = [str(Path(sys.executable).with_name("commerce")), "dev-pay", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_the_dev_server_takes_a_payment_without_a_stripe_account(
    settings: Settings, tmp_path: Path, serve_live: Callable[[FastAPI], str], database: Database
) -> None:
    plain = settings.model_copy(update={"data_dir": str(tmp_path)})
    fake, dev_settings = start_stripe_fake(plain, server_url="http://127.0.0.1:9")  # re-pointed once served
    try:
        assert dev_settings.stripe.enabled
        assert dev_settings.stripe.api_base == fake.url
        saved = json.loads((tmp_path / STATE_FILE).read_text())
        assert saved["url"] == fake.url
        assert saved["publishable_key"].startswith("pk_test_")
        await ensure_demo(dev_settings, Database(dev_settings.db, session_info=outbox_session_info()))
        account_id = await ensure_demo_payments(dev_settings, fake)
        assert account_id is not None
        async with database.public_session() as db:
            row = await db.scalar(select(StripeAccount).where(StripeAccount.account_id == account_id))
        assert row is not None
        assert row.charges_enabled

        base = serve_live(create_app(dev_settings, listen_for_tenant_changes=False))
        fake.events.configure(
            connect_url=f"{base}/hooks/stripe/connect",
            connect_secret=dev_settings.stripe.connect_webhook_secrets[0].get_secret_value(),
            platform_url=f"{base}/hooks/stripe/platform",
            platform_secret=dev_settings.stripe.platform_webhook_secrets[0].get_secret_value(),
        )

        gateway = StripeGateway(dev_settings.stripe)
        try:
            intent = await gateway.create_payment_intent(
                account_id,
                amount=1500,
                currency="JPY",
                application_fee_amount=50,
                metadata={"demo": "yes"},
                idempotency_key=f"dev-{uuid.uuid4()}",
            )
        finally:
            await gateway.aclose()
        assert intent.client_secret is not None
        declined = dev_pay(dev_settings, tmp_path, intent.client_secret, "--outcome", "card_declined")
        assert declined.returncode == 0, declined.stderr
        assert json.loads(declined.stdout)["status"] == "requires_payment_method"
        paid = dev_pay(dev_settings, tmp_path, intent.client_secret)
        assert paid.returncode == 0, paid.stderr
        assert json.loads(paid.stdout) | {"latest_charge": None} == {
            "id": intent.id,
            "status": "succeeded",
            "amount": 1500,
            "currency": "jpy",
            "latest_charge": None,
        }

        [succeeded] = fake.events.of_type("payment_intent.succeeded", account=account_id)
        assert fake.events.wait_idle()
        assert [d.status for d in fake.events.delivered(succeeded["id"])] == [200]
        async with database.public_session() as db:
            stored = await db.get(StripeEvent, succeeded["id"])
        assert stored is not None
        assert (stored.account, stored.tenant_id) == (account_id, row.tenant_id)
        [fee] = fake.events.of_type("application_fee.created")  # the platform's own event, to the platform endpoint
        assert [d.status for d in fake.events.delivered(fee["id"])] == [200]
    finally:
        fake.stop()

    # A restart: a new fake that never saw the account; the registry's accounts are adopted, still chargeable.
    again, restarted = start_stripe_fake(plain, server_url="http://127.0.0.1:9")
    try:
        assert account_id not in again.account_ids()
        assert await ensure_demo_payments(restarted, again) == account_id
        assert account_id in again.account_ids()
    finally:
        again.stop()


def test_dev_pay_explains_what_is_wrong(settings: Settings, tmp_path: Path) -> None:
    bad = dev_pay(settings, tmp_path, "not-a-secret")
    assert bad.returncode == 2
    assert "invalid_input" in bad.stderr
    nothing = dev_pay(settings, tmp_path, "pi_123_secret_456")
    assert nothing.returncode == 1
    assert "no_stripe_fake" in nothing.stderr
    outcome = dev_pay(settings, tmp_path, "pi_123_secret_456", "--outcome", "teleport")
    assert outcome.returncode == 2


def test_local_url() -> None:
    assert local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"  # noqa: S104 - what a wildcard bind is reached at
    assert local_url("::", 8000) == "http://127.0.0.1:8000"
    assert local_url("::1", 8000) == "http://[::1]:8000"
    assert local_url("localhost", 8000) == "http://localhost:8000"
