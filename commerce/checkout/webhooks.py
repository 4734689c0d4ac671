"""The Connect webhook's PaymentIntent events, handled by checkout's ``finalize``.

Billing stores and routes the events (``billing.inbox``) but may not import commerce, so these handlers are
registered into its table by the process factories (``install``, called by ``workers.app.create_celery``, which
the API app and the worker both build). One handler serves the three types: the event only says "look at this
intent"; the intent is re-fetched from Stripe and acted on as it is *now*, so a late, duplicated or reordered
event (a ``payment_failed`` arriving after the ``succeeded``) ends in the same state.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing import inbox
from billing.gateway import StripeGateway
from billing.models import StripeEvent
from commerce.checkout import repository
from commerce.checkout.finalize import finalize
from core.clock import utcnow

log = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


async def sync_payment_intent(db: AsyncSession, gateway: StripeGateway, event: StripeEvent) -> None:
    intent_ref = event.payload.get("data", {}).get("object", {})
    intent_id, account = intent_ref.get("id"), event.account
    if not isinstance(intent_id, str) or account is None:
        return
    checkout = await repository.by_intent(db, intent_id)
    if checkout is None:  # our commit of the intent's id may have been lost: the intent names its checkout
        checkout_id = (intent_ref.get("metadata") or {}).get("checkout_id")
        checkout = await repository.get(db, uuid.UUID(checkout_id)) if checkout_id else None
    if checkout is None:
        log.info("payment intent of no checkout", extra={"payment_intent": intent_id, "event_id": event.id})
        return
    intent = await gateway.retrieve_payment_intent(account, intent_id)
    await finalize(db, gateway, checkout.id, intent, source_key=event.id, event_type=event.type, now=utcnow())


def install() -> None:
    inbox.register(dict.fromkeys(PAYMENT_INTENT_EVENTS, sync_payment_intent))
