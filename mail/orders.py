"""The mails of an order, branded with the shop: its confirmation (with the signed link to the order), the
shipping confirmation with tracking, and the refund notice.

Each is sent by a worker from the job its change queued, then writes a ``mail_sent`` entry on the order's
timeline in the task's transaction. Sending is not transactional, so every read comes first: a failed read
sends nothing. An order (or fulfilment, refund) gone before the job ran is skipped, not a failure.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments import ledger_repository as payments_repository
from commerce.orders import repository as orders_repository
from commerce.orders.lifecycle import add_timeline_entry
from commerce.orders.models import Order, OrderEventKind, OrderLine
from commerce.orders.storefront import sign_order_link
from commerce.shop import service as shop_service
from core.money import format_amount
from core.settings import Settings
from mail.message import OutgoingMail
from mail.sender import MailSender
from mail.service import branding, duration, send_templated, tenant_origin
from tenants.context import TenantContext

log = logging.getLogger(__name__)


def _lines(order: Order, quantities: dict[uuid.UUID, int] | None = None) -> list[dict[str, Any]]:
    """The lines to show, with the quantity concerned (all of each line when ``quantities`` is None)."""
    shown: list[dict[str, Any]] = []
    for line in order.lines:
        quantity = line.quantity if quantities is None else quantities.get(line.id, 0)
        if quantity:
            shown.append(_line(order, line, quantity))
    return shown


def _line(order: Order, line: OrderLine, quantity: int) -> dict[str, Any]:
    title = line.product_title if not line.variant_title else f"{line.product_title} ({line.variant_title})"
    return {"quantity": quantity, "title": title, "sku": line.sku, "total": format_amount(line.total, order.currency)}


def _money(order: Order) -> dict[str, Any]:
    return {
        field: format_amount(getattr(order, field), order.currency)
        for field in ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
    }


async def _sent(db: AsyncSession, order: Order, mail: OutgoingMail, kind: str, **data: str) -> OutgoingMail:
    await add_timeline_entry(db, order, OrderEventKind.MAIL_SENT, {"mail": kind, "to": mail.to, **data})
    return mail


async def send_order_confirmation(
    db: AsyncSession, tenant: TenantContext, sender: MailSender, settings: Settings, *, order_id: uuid.UUID
) -> OutgoingMail | None:
    order = await orders_repository.get(db, order_id)
    if order is None:
        log.info("order confirmation skipped: no such order", extra={"order_id": str(order_id)})
        return None
    token = sign_order_link(
        settings.auth.secret_key.get_secret_value(),
        tenant.id,
        order.id,
        ttl_seconds=settings.auth.order_link_ttl_seconds,
    )
    link = settings.auth.order_link_url_template.format(
        origin=tenant_origin(tenant, settings), order_id=order.id, token=quote(token, safe="")
    )
    shop = await shop_service.get_shop(db)
    context = {
        **branding(shop, settings),
        **_money(order),
        "number": order.number,
        "currency": order.currency,
        "lines": _lines(order),
        "has_discount": order.discount_total > 0,
        "link": link,
        "valid_for": duration(settings.auth.order_link_ttl_seconds),
    }
    subject = f"Order #{order.number} confirmed at {shop.name}"
    mail = await send_templated(sender, shop, settings, order.email, subject, "order_confirmation", context)
    return await _sent(db, order, mail, "order_confirmation")


async def send_shipping_confirmation(
    db: AsyncSession,
    sender: MailSender,
    settings: Settings,
    *,
    order_id: uuid.UUID,
    fulfillment_id: uuid.UUID,
) -> OutgoingMail | None:
    order = await orders_repository.get(db, order_id)
    fulfillment = await orders_repository.get_fulfillment(db, order_id, fulfillment_id) if order else None
    if order is None or fulfillment is None:
        log.info("shipping confirmation skipped: no such fulfilment", extra={"fulfillment_id": str(fulfillment_id)})
        return None
    shop = await shop_service.get_shop(db)
    context = {
        **branding(shop, settings),
        "number": order.number,
        "currency": order.currency,
        "lines": _lines(order, {line.order_line_id: line.quantity for line in fulfillment.lines}),
        "carrier": fulfillment.carrier,
        "tracking_number": fulfillment.tracking_number,
        "tracking_url": fulfillment.tracking_url,
    }
    subject = f"Order #{order.number} from {shop.name} has shipped"
    mail = await send_templated(sender, shop, settings, order.email, subject, "shipping_confirmation", context)
    return await _sent(db, order, mail, "shipping_confirmation", fulfillment_id=str(fulfillment.id))


async def send_refund_notice(
    db: AsyncSession, sender: MailSender, settings: Settings, *, order_id: uuid.UUID, refund_id: uuid.UUID
) -> OutgoingMail | None:
    order = await orders_repository.get(db, order_id)
    refund = await payments_repository.get_refund(db, refund_id)
    if order is None or refund is None or refund.order_id != order.id:
        log.info("refund notice skipped: no such refund", extra={"refund_id": str(refund_id)})
        return None
    shop = await shop_service.get_shop(db)
    quantities = {uuid.UUID(line["order_line_id"]): int(line["quantity"]) for line in refund.lines}
    context = {
        **branding(shop, settings),
        "number": order.number,
        "currency": refund.currency,
        "amount": format_amount(refund.amount, refund.currency),
        "lines": _lines(order, quantities) if quantities else [],
    }
    subject = f"Refund for order #{order.number} at {shop.name}"
    mail = await send_templated(sender, shop, settings, order.email, subject, "refund_notice", context)
    return await _sent(db, order, mail, "refund_notice", refund_id=str(refund.id))
