"""Refunding an order: never more than was paid, each refund exactly once at Stripe, its outcome from Stripe.

Two units of work, so no lock is held while Stripe answers:

1. ``request_refund`` (the request's transaction): lock the order, then its payments; compute the amount (given,
   or from lines: each unit's share of its line total, plus an optional shipping amount within the shipping
   total not yet refunded); choose the oldest succeeded payment whose refundable amount (``amount_received``
   minus its pending and succeeded refunds) covers it, else 409 ``refund_exceeds_refundable``; insert the
   refund ``pending``, count the lines' ``refunded_quantity``, write ``refund_requested`` and ``refund.created``.
   When this commits, the amount is held: a concurrent request sees it and can only refund what is left.
2. ``submit_refund`` (after that commit): create the Stripe refund on the connected account with an
   idempotency key derived from our refund id, then record what Stripe says (``record_outcome``). Stripe
   refusing it marks the refund failed and frees its amount; Stripe unreachable leaves it pending and queues
   ``orders.submit_refund`` to send it again (same key: at most one Stripe refund).

The refund's id is derived from the credential and the request's ``Idempotency-Key``: a retried request finds
the refund it made instead of making another, even without the idempotency layer's replay.

``record_outcome`` is the one place a refund's status changes, from the synchronous answer or a webhook
(``charge.refunded``, ``refund.updated``, ``refund.failed``, each re-reading the refund from Stripe): under the
order's and payment's locks it sets the status, recomputes the payment's refunded totals, re-derives the
order's payment status, and on a change writes the timeline (``refunded`` / ``refund_failed``), the events
(``refund.succeeded`` + ``order.refunded`` / ``refund.failed``), restocks the refunded units if asked, and
queues the refund notice. Applying the same outcome twice changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from billing.errors import BillingNotConfigured, StripeRequestFailed, StripeUnavailable
from billing.gateway import RefundSnapshot, StripeGateway
from billing.payments import ledger_repository as payments_repository
from billing.payments import refund_rules
from billing.payments.models import Payment, Refund, RefundStatus
from commerce.inventory import commitments
from commerce.inventory.errors import LocationInactive, UnknownLocation
from commerce.orders import repository as orders_repository
from commerce.orders import service as orders
from commerce.orders.errors import (
    OrderNotPaid,
    RefundExceedsRefundable,
    RefundNotFound,
    RefundQuantityExceeded,
    UnknownOrderLine,
)
from commerce.orders.models import Order, OrderEventKind
from commerce.orders.schemas import RefundCreate, RefundRead
from core import jobs
from core.errors import VersionMismatch

log = logging.getLogger(__name__)

SUBMIT_REFUND = "orders.submit_refund"
RESUBMIT_BATCH = 100
SEND_REFUND_NOTICE = "mail.send_refund_notice"
_REFUND_IDS = uuid.UUID("5f0e4a8e-4c1b-4f7e-9d8a-0b6a2f3c9e11")  # namespace of refund ids derived from keys
_ENDED = (RefundStatus.FAILED, RefundStatus.CANCELED)
_STRIPE_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


def refund_id_for(actor: Principal, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(_REFUND_IDS, f"{actor.kind.value}:{actor.id}:{idempotency_key}")


async def request_refund(
    db: AsyncSession,
    order_id: uuid.UUID,
    body: RefundCreate,
    *,
    idempotency_key: str,
    refund_application_fee: bool,
    if_match: int | None,
    actor: Principal,
) -> Refund:
    """Phase 1 (see the module): hold the amount as a pending refund, or refuse."""
    refund_id = refund_id_for(actor, idempotency_key)
    order = await orders.lock_order(db, order_id)
    existing = await payments_repository.get_refund(db, refund_id)
    if existing is not None:  # this request was made before: the same refund, never a second one
        if existing.order_id != order.id:
            raise RefundNotFound()
        return existing
    if if_match is not None and order.version != if_match:
        raise VersionMismatch(current_version=order.version)
    payments = await payments_repository.lock_payments(db, order.id)
    left = await refund_rules.refundable_amounts(db, payments)
    if not any(left.values()):
        raise OrderNotPaid() if not any(p.amount_received for p in payments) else RefundExceedsRefundable(refundable=0)
    lines = _line_amounts(order, body) if body.lines is not None else []
    if body.restock_location_id is not None:
        await commitments.active_location(db, body.restock_location_id)
    if body.shipping_amount:
        await _check_shipping(db, order, body.shipping_amount)
    amount = body.amount if body.amount is not None else sum(line["amount"] for line in lines) + body.shipping_amount
    if amount <= 0:
        raise RefundExceedsRefundable("the refunded lines have no amount to refund", refundable=max(left.values()))
    payment = refund_rules.choose_payment(payments, left, amount)
    if payment is None:
        raise RefundExceedsRefundable(refundable=max(left.values()), requested=amount)
    for line in lines:
        order_line = next(ol for ol in order.lines if ol.id == line["order_line_id"])
        order_line.refunded_quantity += line["quantity"]
    refund = Refund(
        id=refund_id,
        order_id=order.id,
        payment_id=payment.id,
        status=RefundStatus.PENDING,
        amount=amount,
        currency=payment.currency,
        reason=body.reason,
        note=body.note,
        lines=[{**line, "order_line_id": str(line["order_line_id"])} for line in lines],
        shipping_amount=body.shipping_amount,
        restock_location_id=body.restock_location_id,
        refund_application_fee=refund_application_fee,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
    )
    await payments_repository.add_refund(db, refund)
    await orders.changed(
        db,
        order,
        None,
        actor=actor,
        timeline=(OrderEventKind.REFUND_REQUESTED, {"refund_id": str(refund.id), "amount": amount}),
        extra_events=[("refund.created", refund.id, None, _refund_data(refund))],
    )
    return refund


def _line_amounts(order: Order, body: RefundCreate) -> list[dict[str, Any]]:
    """Each unit's share of its line's total; the shares telescope, so refunding every unit of a line one by one
    refunds exactly its total."""
    assert body.lines is not None
    by_id = {line.id: line for line in order.lines}
    wanted: dict[uuid.UUID, int] = {}
    for item in body.lines:
        if item.order_line_id not in by_id:
            raise UnknownOrderLine(order_line_id=str(item.order_line_id))
        wanted[item.order_line_id] = wanted.get(item.order_line_id, 0) + item.quantity
    amounts = []
    for line_id, quantity in wanted.items():
        line = by_id[line_id]
        before, after = line.refunded_quantity, line.refunded_quantity + quantity
        if after > line.quantity:
            raise RefundQuantityExceeded(
                order_line_id=str(line_id), remaining=line.quantity - before, requested=quantity
            )
        amount = line.total * after // line.quantity - line.total * before // line.quantity
        amounts.append({"order_line_id": line_id, "quantity": quantity, "amount": amount})
    return amounts


async def _check_shipping(db: AsyncSession, order: Order, shipping_amount: int) -> None:
    held = sum(
        refund.shipping_amount
        for refund in await payments_repository.refunds_of(db, order.id)
        if refund.status in payments_repository.HOLDING
    )
    if held + shipping_amount > order.shipping_total:
        raise RefundExceedsRefundable(
            "the shipping amount is more than the shipping left to refund",
            refundable_shipping=max(order.shipping_total - held, 0),
        )


async def submit_refund(db: AsyncSession, gateway: StripeGateway | None, refund_id: uuid.UUID) -> Refund:
    """Phase 2 (see the module): send the pending refund to Stripe and record its answer. A refund Stripe
    already knows, or that is no longer pending, is returned as it is."""
    refund = await payments_repository.get_refund(db, refund_id)
    if refund is None:
        raise RefundNotFound()
    if refund.status is not RefundStatus.PENDING or refund.stripe_refund_id is not None:
        return refund
    if gateway is None:
        raise BillingNotConfigured()
    payment = await db.get(Payment, refund.payment_id)
    assert payment is not None  # a refund's payment is deleted only with it
    try:
        snapshot = await gateway.create_refund(
            payment.stripe_account,
            payment_intent=payment.payment_intent_id,
            amount=refund.amount,
            refund_application_fee=refund.refund_application_fee,
            reason=refund.reason if refund.reason in _STRIPE_REASONS else None,
            metadata={"refund_id": str(refund.id), "order_id": str(refund.order_id)},
            idempotency_key=refund_rules.stripe_refund_key(refund.id),
        )
    except StripeRequestFailed as exc:
        log.warning("stripe refused a refund", extra={"refund_id": str(refund.id), **exc.extra})
        reason = str(exc.extra.get("stripe_code") or "stripe_refused")
        return await record_outcome(db, refund.id, RefundStatus.FAILED, failure_reason=reason)
    except StripeUnavailable:
        # Kept pending (its amount stays held): the job sends it again with the same key.
        jobs.enqueue(db, SUBMIT_REFUND, countdown=5, refund_id=str(refund.id))
        return refund
    return await apply_snapshot(db, refund, snapshot)


async def apply_snapshot(db: AsyncSession, refund: Refund, snapshot: RefundSnapshot) -> Refund:
    return await record_outcome(
        db,
        refund.id,
        refund_rules.refund_status(snapshot.status),
        stripe_refund_id=snapshot.id,
        failure_reason=snapshot.failure_reason,
    )


async def record_outcome(
    db: AsyncSession,
    refund_id: uuid.UUID,
    status: RefundStatus,
    *,
    stripe_refund_id: str | None = None,
    failure_reason: str | None = None,
) -> Refund:
    """The one place a refund's status changes (see the module)."""
    found = await payments_repository.get_refund(db, refund_id)
    if found is None:
        raise RefundNotFound()
    order = await orders.lock_order(db, found.order_id)
    payment = next(p for p in await payments_repository.lock_payments(db, order.id) if p.id == found.payment_id)
    refund = await payments_repository.get_refund(db, refund_id, lock=True)
    assert refund is not None
    previous = await refund_rules.record_outcome(
        db, refund, payment, status=status, stripe_refund_id=stripe_refund_id, failure_reason=failure_reason
    )
    if previous is status:
        return refund
    await orders.refresh_payment_status(db, order)
    if status in _ENDED and previous not in _ENDED:  # its units are refundable again
        for line in refund.lines:
            order_line = next((ol for ol in order.lines if str(ol.id) == line["order_line_id"]), None)
            if order_line is not None:
                order_line.refunded_quantity = max(order_line.refunded_quantity - int(line["quantity"]), 0)
    if status is RefundStatus.SUCCEEDED and previous is RefundStatus.PENDING:
        await _return_stock(db, order, refund)
        # Refunded units that had not shipped are no longer owed: the rest may now be all shipped.
        order.fulfillment_status = orders.derive_fulfillment_status(
            order, await orders_repository.fulfillments_of(db, order.id)
        )
        orders.complete_if_done(order)
        jobs.enqueue(db, SEND_REFUND_NOTICE, order_id=str(order.id), refund_id=str(refund.id))
    data = _refund_data(refund)
    if status is RefundStatus.SUCCEEDED:
        await orders.changed(
            db,
            order,
            "order.refunded",
            actor=None,
            timeline=(OrderEventKind.REFUNDED, {"refund_id": str(refund.id), "amount": refund.amount}),
            extra_events=[("refund.succeeded", refund.id, None, data)],
        )
    elif status in _ENDED and previous not in _ENDED:
        await orders.changed(
            db,
            order,
            None,
            actor=None,
            timeline=(
                OrderEventKind.REFUND_FAILED,
                {"refund_id": str(refund.id), "amount": refund.amount, "reason": refund.failure_reason},
            ),
            extra_events=[(f"refund.{status.value}", refund.id, None, data)],
        )
    return refund


async def _return_stock(db: AsyncSession, order: Order, refund: Refund) -> None:
    """The stock side of a succeeded refund, per refunded line: units not shipped yet are taken first; they are no
    longer owed (``unshipped_refunded_quantity``) and the order's commitment on them is released. The rest had
    shipped (a return): they go back on hand at ``restock_location_id`` if the merchant asked."""
    lines = {str(line.id): line for line in order.lines}
    references = commitments.order_references(order.id, order.checkout_id)
    returned: list[commitments.Units] = []
    for entry in refund.lines:
        line = lines.get(entry["order_line_id"])
        if line is None:
            continue
        quantity = int(entry["quantity"])
        unshipped = min(quantity, line.to_fulfil)
        line.unshipped_refunded_quantity += unshipped
        shipped = quantity - unshipped
        if line.variant_id is None:  # deleted from the catalog since: no stock to move
            continue
        if unshipped:
            await commitments.release_units(db, line.variant_id, unshipped, references=references, actor=None)
        if shipped:
            returned.append(commitments.Units(variant_id=line.variant_id, quantity=shipped))
    if refund.restock_location_id is None or not returned:
        return
    try:
        await commitments.restock(db, refund.restock_location_id, returned, reference=references[0], actor=None)
    except (UnknownLocation, LocationInactive):  # checked before any change: the transaction is intact
        # The location was deactivated since the request: the money went back; the stock is the merchant's call.
        log.warning("refund restock skipped", extra={"refund_id": str(refund.id)})


def _refund_data(refund: Refund) -> dict[str, Any]:
    return RefundRead.model_validate(refund).model_dump(mode="json")


# --- webhooks ------------------------------------------------------------------------------------------


async def sync_from_stripe(db: AsyncSession, gateway: StripeGateway, account_id: str, stripe_refund_id: str) -> None:
    """A refund event arrived: read the refund from Stripe now (events come late and out of order) and record
    it. A refund made outside the API (in the merchant's Stripe dashboard) is added to its order's ledger."""
    snapshot = await gateway.retrieve_refund(account_id, stripe_refund_id)
    refund = await payments_repository.refund_by_stripe_id(db, snapshot.id)
    if refund is None and snapshot.metadata.get("refund_id"):
        try:
            refund = await payments_repository.get_refund(db, uuid.UUID(snapshot.metadata["refund_id"]))
        except ValueError:
            refund = None
    if refund is None:
        refund = await _external_refund(db, snapshot)
        if refund is None:
            log.info("refund of an unknown payment ignored", extra={"stripe_refund_id": snapshot.id})
            return
    await apply_snapshot(db, refund, snapshot)


async def _external_refund(db: AsyncSession, snapshot: RefundSnapshot) -> Refund | None:
    payment = await payments_repository.payment_by_intent(db, snapshot.payment_intent or "")
    if payment is None and snapshot.charge:
        payment = await payments_repository.payment_by_charge(db, snapshot.charge)
    if payment is None or payment.order_id is None:
        return None
    order = await orders.lock_order(db, payment.order_id)
    refund = Refund(
        order_id=order.id,
        payment_id=payment.id,
        stripe_refund_id=snapshot.id,
        status=RefundStatus.PENDING,
        amount=snapshot.amount,
        currency=payment.currency,
        reason=snapshot.reason,
        note="Made in Stripe",
        refund_application_fee=False,
    )
    await payments_repository.add_refund(db, refund)
    await orders.changed(
        db,
        order,
        None,
        actor=None,
        timeline=(OrderEventKind.REFUND_REQUESTED, {"refund_id": str(refund.id), "amount": refund.amount}),
        extra_events=[("refund.created", refund.id, None, _refund_data(refund))],
    )
    return refund


async def record_dispute(
    db: AsyncSession, payment_intent_id: str | None, charge_id: str | None, data: dict[str, Any]
) -> None:
    """``charge.dispute.created``: the payment is disputed; the order's timeline says so."""
    payment = await payments_repository.payment_by_intent(db, payment_intent_id or "")
    if payment is None and charge_id:
        payment = await payments_repository.payment_by_charge(db, charge_id)
    if payment is None or payment.order_id is None or payment.disputed:
        return
    order = await orders.lock_order(db, payment.order_id)
    payment.disputed = True
    payment.version += 1
    await orders.changed(db, order, "order.disputed", actor=None, timeline=(OrderEventKind.DISPUTED, data))


async def get_refund(db: AsyncSession, order_id: uuid.UUID, refund_id: uuid.UUID) -> Refund:
    refund = await payments_repository.get_refund(db, refund_id)
    if refund is None or refund.order_id != order_id:
        raise RefundNotFound()
    return refund


async def resubmit_unacknowledged(db: AsyncSession, gateway: StripeGateway, *, older_than: datetime) -> int:
    """The safety net of phase 2: pending refunds Stripe never acknowledged (the process died between the commit
    and the call, or the retry job was lost), requested before ``older_than``, are sent again under their key."""
    due = await payments_repository.unsubmitted_refunds(db, before=older_than, limit=RESUBMIT_BATCH)
    for refund_id in due:
        await submit_refund(db, gateway, refund_id)
    return len(due)
