"""The development shop's shipping (``commerce dev``): every demo product requires shipping, so a demo checkout
needs a zone and a rate. Built through the shipping services, so it obeys their rules and writes their events."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shipping import service as shipping_service
from commerce.shipping.models import ShippingZone
from commerce.shipping.schemas import ShippingRateCreate, ShippingZoneCreate

# The countries the demo ships to, and its two rates: (name, EUR and USD amount, free above, days).
_REGIONS = ["AT", "BE", "CH", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "NL", "PT", "SE", "US"]
_RATES = [("Standard", 490, 7500, (3, 5)), ("Express", 1290, None, (1, 2))]


async def seed_shipping(db: AsyncSession) -> int:
    """Create the demo zone and its rates if the shop has no zone yet; returns the number of rates created."""
    if await db.scalar(select(func.count()).select_from(ShippingZone)):
        return 0
    zone = await shipping_service.create_zone(
        db, ShippingZoneCreate(name="Europe and the US", regions=_REGIONS), actor=None
    )
    for name, amount, free_above, (fastest, slowest) in _RATES:
        body = ShippingRateCreate.model_validate(
            {
                "name": name,
                "prices": [{"amount": amount, "currency": "EUR"}, {"amount": amount, "currency": "USD"}],
                "free_above": (
                    [{"amount": free_above, "currency": "EUR"}, {"amount": free_above, "currency": "USD"}]
                    if free_above is not None
                    else None
                ),
                "min_delivery_days": fastest,
                "max_delivery_days": slowest,
            }
        )
        await shipping_service.create_rate(db, zone.id, body, actor=None)
    return len(_RATES)
