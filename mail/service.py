"""Mails sent for a tenant, branded with its shop: name in the subject and both bodies, replies to its support address."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from auth.action_tokens import service as action_tokens
from auth.action_tokens.models import Purpose
from auth.customers import service as customers_service
from auth.runtime import AuthRuntime
from auth.staff import repository as staff_repository
from commerce.shop import service as shop_service
from commerce.shop.models import ShopSettings
from core.settings import Settings
from mail.message import OutgoingMail
from mail.rendering import render
from mail.sender import MailSender
from tenants.context import TenantContext

log = logging.getLogger(__name__)


async def send_welcome(
    db: AsyncSession, tenant: TenantContext, sender: MailSender, settings: Settings, *, staff_id: uuid.UUID
) -> OutgoingMail | None:
    """Tell a new shop's owner that the shop is ready and how to sign in (never the password: it is shown once).

    An owner deactivated before the mail goes out gets nothing; that is not a failure. Sending is not
    transactional, so it comes after every read: a failed read sends nothing.
    """
    owner = await staff_repository.get_active(db, staff_id)
    if owner is None:
        log.info("welcome mail skipped: staff member not active", extra={"staff_id": str(staff_id)})
        return None
    shop = await shop_service.get_shop(db)
    context = {
        **branding(shop, settings),
        "owner_name": owner.name,
        "owner_email": owner.email,
        "slug": tenant.slug,
        "shop_host": f"{tenant.slug}.{settings.tenancy.base_domain}" if settings.tenancy.base_domain else None,
    }
    return await send_templated(
        sender, shop, settings, owner.email, f"Your shop {shop.name} is ready", "welcome", context
    )


async def send_staff_invitation(
    db: AsyncSession,
    tenant: TenantContext,
    sender: MailSender,
    settings: Settings,
    auth: AuthRuntime,
    *,
    staff_id: uuid.UUID,
) -> OutgoingMail | None:
    """Mail a pending staff member a single-use link to join the team.

    The token is created here, in the task's transaction, and exists in clear only in the mail; it spends
    the member's earlier invitation tokens. If sending fails the transaction rolls back: no token is left
    behind and the earlier links keep working. A member who accepted, or was deactivated, before the job
    ran gets nothing; that is not a failure.
    """
    member = await staff_repository.get(db, staff_id)
    if member is None or not member.is_active or not member.invitation_pending:
        log.info("invitation mail skipped: no pending active staff member", extra={"staff_id": str(staff_id)})
        return None
    link = await _single_use_link(
        db,
        auth,
        tenant,
        Purpose.STAFF_INVITATION,
        member.id,
        ttl_seconds=settings.auth.invitation_ttl_seconds,
        url=lambda token: settings.auth.invitation_url_template.format(
            token=quote(token, safe=""), slug=quote(tenant.slug, safe=""), origin=tenant_origin(tenant, settings)
        ),
    )
    shop = await shop_service.get_shop(db)
    context = {
        **branding(shop, settings),
        **link,
        "member_name": member.name,
        "member_email": member.email,
        "role": member.role.value.replace("_", " "),
    }
    subject = f"You are invited to join {shop.name}"
    return await send_templated(sender, shop, settings, member.email, subject, "staff_invitation", context)


async def send_password_reset(
    db: AsyncSession,
    tenant: TenantContext,
    sender: MailSender,
    settings: Settings,
    auth: AuthRuntime,
    *,
    customer_id: uuid.UUID,
) -> OutgoingMail | None:
    """Mail a shopper a single-use link to choose a new password, on the shop's own host.

    Same token rules as the invitation; a customer deleted before the job ran gets nothing.
    """
    customer = await customers_service.find_customer(db, customer_id)
    if customer is None:
        log.info("password reset mail skipped: no such customer", extra={"customer_id": str(customer_id)})
        return None
    link = await _single_use_link(
        db,
        auth,
        tenant,
        Purpose.PASSWORD_RESET,
        customer.id,
        ttl_seconds=settings.auth.password_reset_ttl_seconds,
        url=lambda token: f"{tenant_origin(tenant, settings)}/oauth/password-reset?token={quote(token, safe='')}",
    )
    shop = await shop_service.get_shop(db)
    context = {**branding(shop, settings), **link, "customer_name": customer.name}
    subject = f"Reset your password at {shop.name}"
    return await send_templated(sender, shop, settings, customer.email, subject, "password_reset", context)


async def _single_use_link(
    db: AsyncSession,
    auth: AuthRuntime,
    tenant: TenantContext,
    purpose: Purpose,
    subject_id: uuid.UUID,
    *,
    ttl_seconds: int,
    url: Callable[[str], str],
) -> dict[str, str]:
    """A new single-use token for ``subject_id`` (spending its earlier ones), as the template's ``link`` and
    ``valid_for``. The token exists in clear only in the mail: it is created here, in the job's transaction."""
    token = await action_tokens.issue(db, auth, tenant.id, purpose, subject_id, ttl_seconds=ttl_seconds)
    return {"link": url(token), "valid_for": duration(ttl_seconds)}


async def send_templated(
    sender: MailSender,
    shop: ShopSettings,
    settings: Settings,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
) -> OutgoingMail:
    """Render ``<template>.txt`` and ``.html`` and send them from the platform, on behalf of the shop."""
    mail = OutgoingMail(
        to=to,
        subject=subject,
        text=render(f"{template}.txt", **context),
        html=render(f"{template}.html", **context),
        from_name=sender_name(shop, settings),
        reply_to=shop.support_email,
    )
    await sender.send(mail)
    return mail


def tenant_origin(tenant: TenantContext, settings: Settings) -> str:
    """The shop's own origin, ``https://<slug>.<base domain>`` (``http://`` where plain HTTP is allowed)."""
    base_domain = settings.tenancy.base_domain
    if not base_domain:
        raise ValueError("COMMERCE_TENANCY__BASE_DOMAIN is empty: a mailed link has no host to point to")
    scheme = "https" if settings.auth.oauth_require_https else "http"
    return f"{scheme}://{tenant.slug}.{base_domain}"


def duration(seconds: int) -> str:
    """``7 days``, ``1 hour``, ``30 minutes``: how long a mailed link works, in the largest whole unit."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def branding(shop: ShopSettings, settings: Settings) -> dict[str, str | None]:
    """What every tenant template shows: the shop, its support address and the platform that sends for it."""
    return {"shop_name": shop.name, "support_email": shop.support_email, "platform_name": settings.mail.from_name}


def sender_name(shop: ShopSettings, settings: Settings) -> str:
    """``"<shop> via <platform>"``: the shop's name is tenant input, so the platform stays visible beside it
    (a shop named after a bank cannot pass for the bank), as the address is always the platform's."""
    platform = settings.mail.from_name.strip()
    return f"{shop.name} via {platform}" if platform else shop.name
