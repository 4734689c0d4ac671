"""The Stripe webhook inbox: verify, store each event once, process it in a job after the commit.

Receiving never calls Stripe and never opens a tenant schema: the signature is checked against the
endpoint's secrets, the event is stored in ``public.stripe_events`` (its id is the primary key, so a
redelivery is answered 200 and not processed again), its ``account`` is mapped to a tenant through
``public.stripe_accounts``, and a tenant-tagged ``billing.process_event`` job is queued for after the
commit. Handlers are idempotent and order-insensitive: they re-read the account from Stripe instead
of trusting the event's snapshot.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing import repository
from billing import service as billing_service
from billing.errors import BillingNotConfigured, InvalidWebhookPayload
from billing.gateway import StripeGateway
from billing.models import EventStatus, StripeEvent, WebhookEndpoint
from billing.schemas import WebhookReceipt
from billing.signatures import verify_stripe_signature
from core import jobs
from core.clock import utcnow
from core.settings import StripeSettings
from tenants.context import TenantContext

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, StripeGateway, StripeEvent], Awaitable[None]]

PROCESS_EVENT = "billing.process_event"
# Stripe itself stops redelivering after three days; the sweep does not try for longer either.
SWEEP_HORIZON = timedelta(days=3)


async def receive_event(
    db: AsyncSession, settings: StripeSettings, endpoint: WebhookEndpoint, payload: bytes, signature: str | None
) -> WebhookReceipt:
    """Verify and store one delivery. A refused delivery (400) stores nothing."""
    configured = (
        settings.platform_webhook_secrets if endpoint is WebhookEndpoint.PLATFORM else settings.connect_webhook_secrets
    )
    if not settings.enabled or not configured:
        raise BillingNotConfigured(f"no signing secret is configured for the {endpoint.value} endpoint")
    verify_stripe_signature(
        payload,
        signature,
        [secret.get_secret_value() for secret in configured],
        tolerance_seconds=settings.webhook_tolerance_seconds,
    )
    event = _parse(payload)
    account_id = event.get("account") if isinstance(event.get("account"), str) else None
    tenant_id = None
    if account_id is not None:
        account = await repository.get_account_by_stripe_id(db, account_id)
        tenant_id = account.tenant_id if account is not None else None

    if endpoint is WebhookEndpoint.CONNECT and tenant_id is None:
        status = EventStatus.UNROUTABLE  # an account we do not know (or no account at all): kept, never guessed
    elif endpoint is WebhookEndpoint.PLATFORM or event["type"] not in HANDLERS:
        status = EventStatus.IGNORED  # no platform-event handlers yet; unknown types are kept for the record
    else:
        status = EventStatus.PENDING

    stored = await repository.insert_event(
        db,
        {
            "id": event["id"],
            "endpoint": endpoint,
            "type": event["type"],
            "account": account_id,
            "tenant_id": tenant_id,
            "payload": event,
            "status": status,
            "attempts": 0,
        },
    )
    if not stored:
        existing = await repository.get_event(db, event["id"])
        log.info("stripe event redelivered", extra={"event_id": event["id"], "event_type": event["type"]})
        return WebhookReceipt(id=event["id"], duplicate=True, status=existing.status if existing else status)
    if status is EventStatus.PENDING:
        jobs.enqueue(db, PROCESS_EVENT, for_tenant=tenant_id, event_id=event["id"])
    log.info(
        "stripe event received",
        extra={"event_id": event["id"], "event_type": event["type"], "event_status": status.value},
    )
    return WebhookReceipt(id=event["id"], duplicate=False, status=status)


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidWebhookPayload() from exc
    if (
        not isinstance(event, dict)
        or event.get("object") != "event"
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not 0 < len(event["id"]) <= 255
    ):
        raise InvalidWebhookPayload()
    return event


async def process_event(db: AsyncSession, gateway: StripeGateway, event_id: str, tenant: TenantContext) -> EventStatus:
    """Apply one stored event for its tenant, once. A processed event is a no-op; the row lock makes a
    concurrent duplicate job wait and then see it processed."""
    event = await repository.get_event(db, event_id, for_update=True)
    if event is None:
        raise LookupError(f"stripe event {event_id} is not stored")
    if event.status is not EventStatus.PENDING:
        return event.status
    if event.tenant_id != tenant.id:  # never act for another tenant than the one the job runs for
        raise PermissionError(f"stripe event {event_id} does not belong to tenant {tenant.id}")
    event.attempts += 1
    await HANDLERS[event.type](db, gateway, event)
    event.status = EventStatus.PROCESSED
    event.processed_at = utcnow()
    event.last_error = None
    await db.flush()
    return event.status


async def record_failure(db: AsyncSession, event_id: str, error: str, *, final: bool) -> None:
    """In its own transaction (the processing one rolled back): count the attempt, keep the error visible,
    and mark the event failed when no retry follows."""
    event = await repository.get_event(db, event_id, for_update=True)
    if event is None or event.status is not EventStatus.PENDING:
        return
    event.attempts += 1
    event.last_error = error[:2000]
    if final:
        event.status = EventStatus.FAILED
    await db.flush()


async def requeue_stale_events(db: AsyncSession, settings: StripeSettings, *, limit: int = 500) -> int:
    """Queue again the events still pending a while after they arrived (the broker was down at commit,
    or the tenant was briefly inactive). Processing twice is harmless: it is idempotent."""
    now = utcnow()
    stale = await repository.stale_pending_events(
        db,
        received_before=now - timedelta(seconds=settings.event_retry_after_seconds),
        received_after=now - SWEEP_HORIZON,
        limit=limit,
    )
    for event in stale:
        jobs.enqueue(db, PROCESS_EVENT, for_tenant=event.tenant_id, event_id=event.id)
    return len(stale)


# --- handlers -------------------------------------------------------------------------------------


async def _sync_account(db: AsyncSession, gateway: StripeGateway, event: StripeEvent) -> None:
    """account.updated, capability.updated: whatever the event says, store what Stripe says now."""
    assert event.tenant_id is not None
    await billing_service.sync_account(db, gateway, event.tenant_id)


async def _deauthorize(db: AsyncSession, gateway: StripeGateway, event: StripeEvent) -> None:
    """The merchant disconnected the account: terminal. Later (or older, late) events leave it so."""
    assert event.tenant_id is not None
    account = await repository.get_account(db, event.tenant_id, for_update=True)
    if account is None or account.deauthorized_at is not None:
        return
    account.deauthorized_at = utcnow()
    account.charges_enabled = False
    account.payouts_enabled = False
    await db.flush()
    log.warning("connected account deauthorized", extra={"tenant_id": str(event.tenant_id)})


HANDLERS: dict[str, Handler] = {
    "account.updated": _sync_account,
    "capability.updated": _sync_account,
    "account.application.deauthorized": _deauthorize,
}


def register(handlers: dict[str, Handler]) -> None:
    """Add handlers of event types billing does not handle itself: the payment events, whose handlers live in
    ``commerce`` (billing may not import it), are registered by the process factories (``workers.app``) before
    any event is received or processed. Registering the same handler again is harmless."""
    for event_type, handler in handlers.items():
        existing = HANDLERS.get(event_type)
        if existing is not None and existing is not handler:
            raise ValueError(f"a handler of {event_type} is already registered")
        HANDLERS[event_type] = handler
