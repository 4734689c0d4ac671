"""The Connect webhook handlers of refunds and disputes, registered into ``billing.inbox`` by ``install`` (called by
``workers.app.create_celery``, which the API app and the worker both build), as checkout registers its own.

Each re-reads what it needs from Stripe or the event and goes through ``commerce.orders.refunds``, so a
duplicated or reordered delivery ends in the same state (see that module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing import inbox
from billing.gateway import StripeGateway
from billing.inbox import Handler
from billing.models import StripeEvent
from commerce.orders import refunds


def _object(event: StripeEvent) -> dict[str, Any]:
    data = event.payload.get("data") or {}
    found = data.get("object") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


async def refund_changed(db: AsyncSession, gateway: StripeGateway, event: StripeEvent) -> None:
    """``refund.created``, ``refund.updated``, ``refund.failed``: the event's object is the refund."""
    refund = _object(event)
    if event.account and isinstance(refund.get("id"), str):
        await refunds.sync_from_stripe(db, gateway, event.account, refund["id"])


async def charge_refunded(db: AsyncSession, gateway: StripeGateway, event: StripeEvent) -> None:
    """``charge.refunded``: the event's object is the charge, with its refunds when Stripe includes them."""
    charge = _object(event)
    listed = (charge.get("refunds") or {}).get("data") or []
    for refund in listed:
        if event.account and isinstance(refund, dict) and isinstance(refund.get("id"), str):
            await refunds.sync_from_stripe(db, gateway, event.account, refund["id"])


async def dispute_created(db: AsyncSession, gateway: StripeGateway, event: StripeEvent) -> None:
    """``charge.dispute.created``: the event's object is the dispute."""
    dispute = _object(event)
    intent = dispute.get("payment_intent")
    charge = dispute.get("charge")
    await refunds.record_dispute(
        db,
        intent if isinstance(intent, str) else None,
        charge if isinstance(charge, str) else None,
        {
            "dispute_id": dispute.get("id"),
            "amount": dispute.get("amount"),
            "reason": dispute.get("reason"),
            "status": dispute.get("status"),
        },
    )


HANDLERS: dict[str, Handler] = {
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
    "refund.failed": refund_changed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
}


def install() -> None:
    inbox.register(HANDLERS)
