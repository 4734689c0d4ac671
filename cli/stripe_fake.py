"""`commerce dev`'s local Stripe and `commerce dev-pay`: a whole checkout without a Stripe account.

`commerce dev` (when no `COMMERCE_STRIPE__SECRET_KEY` is set, or with `--stripe-fake`) starts the fake
of billing/stripe_fake on a loopback port, points the settings at it (API base, a throwaway secret key,
both webhook signing secrets), makes it deliver its events to the dev server's own
`/hooks/stripe/connect` and `/hooks/stripe/platform`, and makes sure the demo tenant has a connected
account that can take charges. Its URL and publishable key are written to
`$COMMERCE_DATA_DIR/stripe-fake.json` for `commerce dev-pay`, which does what Stripe.js does in a
shopper's browser: confirm the PaymentIntent of a client secret with a test card.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing import service as billing_service
from billing.gateway import StripeGateway
from billing.models import StripeAccount
from billing.stripe_fake import FakeStripe
from billing.stripe_fake.payments import OUTCOME_METHODS
from cli.common import err, load_settings, out, with_session
from core.settings import Settings
from tenants import repository as tenants_repository
from tenants.context import TenantContext

STATE_FILE = "stripe-fake.json"
# What `commerce dev-pay` may ask for: what a shopper can do in Stripe.js.
DEV_PAY_OUTCOMES = ("succeeded", "card_declined", "insufficient_funds", "requires_action")


def local_url(host: str, port: int) -> str:
    """The URL this machine reaches a server bound to ``host`` at (a wildcard bind is reached on loopback)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"  # a name, such as localhost
    if address.is_unspecified:
        return f"http://127.0.0.1:{port}"
    return f"http://[{host}]:{port}" if address.version == 6 else f"http://{host}:{port}"


def start_stripe_fake(settings: Settings, *, server_url: str, port: int = 0) -> tuple[FakeStripe, Settings]:
    """Start the fake and return it with ``settings`` pointed at it (the keys are throwaway, made per run)."""
    token = secrets.token_hex(12)
    secret_key, publishable_key = f"sk_test_fake_{token}", f"pk_test_fake_{token}"
    connect_secret, platform_secret = f"whsec_fakeconnect{token}", f"whsec_fakeplatform{token}"
    fake = FakeStripe(secret_key, publishable_key=publishable_key, port=port, auto_onboard=True)
    fake.start()
    # The dev server starts after the fake: early deliveries retry until it answers (about a minute).
    fake.events.configure(
        connect_url=f"{server_url}/hooks/stripe/connect",
        connect_secret=connect_secret,
        platform_url=f"{server_url}/hooks/stripe/platform",
        platform_secret=platform_secret,
        max_attempts=8,
        retry_delay=0.5,
    )
    stripe = settings.stripe.model_copy(
        update={
            "secret_key": SecretStr(secret_key),
            "api_base": fake.url,
            "connect_webhook_secrets": [SecretStr(connect_secret)],
            "platform_webhook_secrets": [SecretStr(platform_secret)],
        }
    )
    path = Path(settings.data_dir) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": fake.url, "publishable_key": publishable_key}, indent=2))
    path.chmod(0o600)
    return fake, settings.model_copy(update={"stripe": stripe})


async def ensure_demo_payments(settings: Settings, fake: FakeStripe, *, slug: str = "demo") -> str | None:
    """Every connected account the registry knows exists in this (fresh, in-memory) fake, onboarded, and the
    demo tenant has one that takes charges. Returns the demo's account id (None: no demo tenant)."""

    async def work(db: AsyncSession) -> str | None:
        for known in await db.scalars(select(StripeAccount)):
            fake.adopt_account(known.account_id, metadata={"tenant_id": str(known.tenant_id)})
        demo = await tenants_repository.get_by_slug(db, slug)
        if demo is None:
            return None
        gateway = StripeGateway(settings.stripe)
        try:
            account = await billing_service.create_connected_account(db, gateway, TenantContext.of(demo))
            await billing_service.sync_account(db, gateway, demo.id)
        finally:
            await gateway.aclose()
        return account.account_id

    return await with_session(settings, work)


def dev_pay(
    client_secret: Annotated[str, typer.Argument(help="The PaymentIntent's client_secret (pi_..._secret_...).")],
    outcome: Annotated[
        str, typer.Option(help=f"What the shopper's card does: {', '.join(DEV_PAY_OUTCOMES)}.")
    ] = "succeeded",
) -> None:
    """Pay a PaymentIntent on `commerce dev`'s Stripe fake, as Stripe.js would in the shopper's browser."""
    if outcome not in DEV_PAY_OUTCOMES:
        err.print(f"[red]error[/red] invalid_input: --outcome must be one of {', '.join(DEV_PAY_OUTCOMES)}")
        raise typer.Exit(2)
    intent_id, separator, _ = client_secret.partition("_secret_")
    if not separator or not intent_id.startswith("pi_"):
        err.print("[red]error[/red] invalid_input: a client secret looks like pi_..._secret_...")
        raise typer.Exit(2)
    settings = load_settings(console=True, database=False)
    path = Path(settings.data_dir) / STATE_FILE
    if not path.exists():
        err.print(
            f"[red]error[/red] no_stripe_fake: {path} does not exist; start `commerce dev` (with its Stripe fake)"
        )
        raise typer.Exit(1)
    fake: dict[str, Any] = json.loads(path.read_text())
    try:
        response = httpx.post(
            f"{fake['url']}/v1/payment_intents/{intent_id}/confirm",
            data={"client_secret": client_secret, "payment_method": OUTCOME_METHODS[outcome]},
            headers={"authorization": f"Bearer {fake['publishable_key']}"},
            timeout=30.0,
            trust_env=False,
        )
    except httpx.HTTPError as exc:
        err.print(f"[red]error[/red] no_stripe_fake: {fake['url']} does not answer ({exc}); is `commerce dev` running?")
        raise typer.Exit(1) from exc
    body: dict[str, Any] = response.json()
    intent = body.get("error", {}).get("payment_intent") if response.status_code == 402 else body
    if response.status_code not in (200, 402) or intent is None:
        err.print(f"[red]error[/red] stripe_request_failed: {body.get('error', {}).get('message', response.text)}")
        raise typer.Exit(1)
    summary = {key: intent.get(key) for key in ("id", "status", "amount", "currency", "latest_charge")}
    if intent.get("last_payment_error"):
        summary["last_payment_error"] = intent["last_payment_error"].get("decline_code")
    out.print_json(json.dumps(summary))
