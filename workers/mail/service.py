"""Mails sent for a tenant, branded with its shop: name in the subject and both bodies, replies to its support address."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from auth.staff import repository as staff_repository
from commerce.shop import service as shop_service
from commerce.shop.models import ShopSettings
from core.settings import Settings
from tenants.context import TenantContext
from workers.mail.message import OutgoingMail
from workers.mail.rendering import render
from workers.mail.sender import MailSender

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
    mail = OutgoingMail(
        to=owner.email,
        subject=f"Your shop {shop.name} is ready",
        text=render("welcome.txt", **context),
        html=render("welcome.html", **context),
        from_name=sender_name(shop, settings),
        reply_to=shop.support_email,
    )
    await sender.send(mail)
    return mail


def branding(shop: ShopSettings, settings: Settings) -> dict[str, str | None]:
    """What every tenant template shows: the shop, its support address and the platform that sends for it."""
    return {"shop_name": shop.name, "support_email": shop.support_email, "platform_name": settings.mail.from_name}


def sender_name(shop: ShopSettings, settings: Settings) -> str:
    """``"<shop> via <platform>"``: the shop's name is tenant input, so the platform stays visible beside it
    (a shop named after a bank cannot pass for the bank), as the address is always the platform's."""
    platform = settings.mail.from_name.strip()
    return f"{shop.name} via {platform}" if platform else shop.name
