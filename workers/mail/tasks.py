"""Mail task adapters: each parses its message and calls one service."""

from __future__ import annotations

import uuid

from mail import orders as order_mails
from mail import service as mail_service
from mail.sender import create_mail_sender
from workers.registry import tenant_task
from workers.task import CommerceTask


# Not idempotent: a second run sends a second mail, so the message is acknowledged before it runs.
@tenant_task("mail.send_welcome")
def send_welcome(task: CommerceTask, staff_id: str) -> None:
    tenant, settings = task.tenant, task.runtime.settings
    sender = create_mail_sender(settings)
    owner_id = uuid.UUID(staff_id)
    task.runtime.in_tenant(
        tenant, lambda db: mail_service.send_welcome(db, tenant, sender, settings, staff_id=owner_id)
    )


# Not idempotent either: each run mails a new link (spending the previous one).
@tenant_task("mail.send_staff_invitation")
def send_staff_invitation(task: CommerceTask, staff_id: str) -> None:
    """The message carries the member's id only; the token is created by this task and exists only in the mail."""
    tenant, settings, auth = task.tenant, task.runtime.settings, task.runtime.auth
    sender = create_mail_sender(settings)
    member_id = uuid.UUID(staff_id)
    task.runtime.in_tenant(
        tenant,
        lambda db: mail_service.send_staff_invitation(db, tenant, sender, settings, auth, staff_id=member_id),
    )


@tenant_task("mail.send_password_reset")
def send_password_reset(task: CommerceTask, customer_id: str) -> None:
    """The message carries the customer's id only; the token is created by this task and exists only in the mail."""
    tenant, settings, auth = task.tenant, task.runtime.settings, task.runtime.auth
    sender = create_mail_sender(settings)
    shopper_id = uuid.UUID(customer_id)
    task.runtime.in_tenant(
        tenant,
        lambda db: mail_service.send_password_reset(db, tenant, sender, settings, auth, customer_id=shopper_id),
    )


# Not idempotent (a second run sends a second mail): acknowledged before it runs, like the others.
@tenant_task("mail.send_order_confirmation")
def send_order_confirmation(task: CommerceTask, order_id: str) -> None:
    """Queued by ``order_placed``; carries the order's id only (the signed link is made by this task)."""
    tenant, settings = task.tenant, task.runtime.settings
    sender = create_mail_sender(settings)
    task.runtime.in_tenant(
        tenant,
        lambda db: order_mails.send_order_confirmation(db, tenant, sender, settings, order_id=uuid.UUID(order_id)),
    )


@tenant_task("mail.send_shipping_confirmation")
def send_shipping_confirmation(task: CommerceTask, order_id: str, fulfillment_id: str) -> None:
    tenant, settings = task.tenant, task.runtime.settings
    sender = create_mail_sender(settings)
    task.runtime.in_tenant(
        tenant,
        lambda db: order_mails.send_shipping_confirmation(
            db, sender, settings, order_id=uuid.UUID(order_id), fulfillment_id=uuid.UUID(fulfillment_id)
        ),
    )


@tenant_task("mail.send_refund_notice")
def send_refund_notice(task: CommerceTask, order_id: str, refund_id: str) -> None:
    tenant, settings = task.tenant, task.runtime.settings
    sender = create_mail_sender(settings)
    task.runtime.in_tenant(
        tenant,
        lambda db: order_mails.send_refund_notice(
            db, sender, settings, order_id=uuid.UUID(order_id), refund_id=uuid.UUID(refund_id)
        ),
    )
