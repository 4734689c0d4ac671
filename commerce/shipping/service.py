"""Shipping: which rates apply to a cart, and what each costs it.

The rules:

* A destination is covered by the zones that list its subdivision (``"US-CA"``) or, if none does, by the zones
  that list its country (``"US"``): the most specific zones win, so a merchant can price one state apart.
* A rate applies when it has an amount in the cart's currency and its conditions hold: the subtotal (all lines,
  before discounts) within ``[min_subtotal, max_subtotal)`` in that currency, and the weight (grams, the lines
  that require shipping) within ``[min_weight_grams, max_weight_grams)``. A subtotal condition without a value
  in the cart's currency does not hold.
* The rate is free (amount 0) when the subtotal reaches its ``free_above`` threshold in the cart's currency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce import resources
from commerce.catalog.models import WeightUnit
from commerce.shipping import repository
from commerce.shipping.errors import ShippingRateNotFound, ShippingZoneNotFound
from commerce.shipping.models import ShippingRate, ShippingZone
from commerce.shipping.schemas import (
    ShippingRateCreate,
    ShippingRateRead,
    ShippingRateUpdate,
    ShippingZoneCreate,
    ShippingZoneRead,
    ShippingZoneUpdate,
    rate_values,
)
from core.errors import InvalidInput

# Exact definitions (the international avoirdupois pound and ounce).
GRAMS_PER_UNIT: dict[WeightUnit, Decimal] = {
    WeightUnit.G: Decimal(1),
    WeightUnit.KG: Decimal(1000),
    WeightUnit.OZ: Decimal("28.349523125"),
    WeightUnit.LB: Decimal("453.59237"),
}


def weight_in_grams(weight: Decimal | None, unit: WeightUnit | str) -> int | None:
    """A variant's weight in whole grams (half-even), for ``QuoteLine.weight_grams``; None if it has none."""
    if weight is None:
        return None
    return int((weight * GRAMS_PER_UNIT[WeightUnit(unit)]).to_integral_value(rounding=ROUND_HALF_EVEN))


def regions_of(country: str, subdivision: str | None) -> list[str]:
    return [country] if subdivision is None else [f"{country}-{subdivision}", country]


def delivery_estimate(min_days: int | None, max_days: int | None) -> str | None:
    """A shopper's reading of the estimate: "2-5 days", "3 days", "up to 5 days", "from 2 days"."""
    if min_days is not None and max_days is not None:
        return f"{min_days} days" if min_days == max_days else f"{min_days}-{max_days} days"
    if max_days is not None:
        return f"up to {max_days} days"
    if min_days is not None:
        return f"from {min_days} days"
    return None


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value < high)


def rate_applies(rate: ShippingRate, *, currency: str, subtotal: int, weight_grams: int) -> bool:
    if currency not in rate.prices:
        return False
    for bounds in (rate.min_subtotal, rate.max_subtotal):
        if bounds and currency not in bounds:
            return False
    return _within(subtotal, rate.min_subtotal.get(currency), rate.max_subtotal.get(currency)) and _within(
        weight_grams, rate.min_weight_grams, rate.max_weight_grams
    )


def rate_amount(rate: ShippingRate, *, currency: str, subtotal: int) -> int:
    threshold = rate.free_above.get(currency)
    return 0 if threshold is not None and subtotal >= threshold else rate.prices[currency]


def most_specific(
    found: Sequence[tuple[ShippingRate, ShippingZone]], country: str, subdivision: str | None
) -> list[tuple[ShippingRate, ShippingZone]]:
    if subdivision is not None:
        specific = [pair for pair in found if f"{country}-{subdivision}" in pair[1].regions]
        if specific:
            return specific
    return [pair for pair in found if country in pair[1].regions]


async def applicable_rates(
    db: AsyncSession, *, country: str, subdivision: str | None, currency: str, subtotal: int, weight_grams: int
) -> list[tuple[ShippingRate, ShippingZone]]:
    """The rates a cart to this destination may choose, in zone then rate creation order."""
    found = await repository.rates_in_zones_covering(db, regions_of(country, subdivision))
    return [
        (rate, zone)
        for rate, zone in most_specific(found, country, subdivision)
        if rate_applies(rate, currency=currency, subtotal=subtotal, weight_grams=weight_grams)
    ]


# --- the merchant's zones and rates ------------------------------------------------------------------------


async def list_zones(db: AsyncSession, *, limit: int, starting_after: str | None) -> tuple[list[ShippingZone], bool]:
    return await resources.page(db, ShippingZone, limit=limit, starting_after=starting_after)


async def get_zone(db: AsyncSession, zone_id: uuid.UUID, *, lock: bool = False) -> ShippingZone:
    zone = await resources.load(db, ShippingZone, zone_id, lock=lock)
    if zone is None:
        raise ShippingZoneNotFound()
    return zone


async def create_zone(db: AsyncSession, body: ShippingZoneCreate, *, actor: Principal | None) -> ShippingZone:
    zone = ShippingZone(name=body.name, regions=list(body.regions), version=1)
    db.add(zone)
    await resources.flush(db)
    await resources.record(db, "shipping_zone.created", zone, ShippingZoneRead, actor)
    return zone


async def update_zone(
    db: AsyncSession, zone_id: uuid.UUID, body: ShippingZoneUpdate, *, if_match: int | None, actor: Principal
) -> ShippingZone:
    zone = await get_zone(db, zone_id, lock=True)
    resources.check_version(zone, if_match)
    resources.apply(zone, body.model_dump(exclude_unset=True))
    await resources.flush(db)
    await resources.record(db, "shipping_zone.updated", zone, ShippingZoneRead, actor)
    return zone


async def delete_zone(db: AsyncSession, zone_id: uuid.UUID, *, if_match: int | None, actor: Principal) -> None:
    """Delete a zone and its rates (carts that chose one of them get ``shipping_rate_unavailable`` next time)."""
    zone = await get_zone(db, zone_id, lock=True)
    resources.check_version(zone, if_match)
    await resources.record(db, "shipping_zone.deleted", zone, ShippingZoneRead, actor)
    await db.delete(zone)
    await db.flush()


async def list_rates(
    db: AsyncSession, zone_id: uuid.UUID, *, limit: int, starting_after: str | None
) -> tuple[list[ShippingRate], bool]:
    await get_zone(db, zone_id)
    return await resources.page(
        db, ShippingRate, limit=limit, starting_after=starting_after, where=(ShippingRate.zone_id == zone_id,)
    )


async def get_rate(db: AsyncSession, zone_id: uuid.UUID, rate_id: uuid.UUID, *, lock: bool = False) -> ShippingRate:
    rate = await resources.load(db, ShippingRate, rate_id, lock=lock)
    if rate is None or rate.zone_id != zone_id:
        raise ShippingRateNotFound()
    return rate


def _check_ranges(rate: ShippingRate) -> None:
    """Every range must be ordered (min below max): checked on the merged rate, since an update may set one end."""
    problems = [
        f"{name}: min must be below max"
        for name, low, high in (
            ("weight_grams", rate.min_weight_grams, rate.max_weight_grams),
            ("delivery_days", rate.min_delivery_days, rate.max_delivery_days),
        )
        if low is not None and high is not None and low > high
    ]
    problems += [
        f"subtotal in {currency}: min must be below max"
        for currency, low in rate.min_subtotal.items()
        if currency in rate.max_subtotal and low >= rate.max_subtotal[currency]
    ]
    if problems:
        raise InvalidInput("; ".join(problems))


async def create_rate(
    db: AsyncSession, zone_id: uuid.UUID, body: ShippingRateCreate, *, actor: Principal | None
) -> ShippingRate:
    await get_zone(db, zone_id)
    defaults: dict[str, Any] = {"min_subtotal": {}, "max_subtotal": {}, "free_above": {}}
    rate = ShippingRate(zone_id=zone_id, **(defaults | rate_values(body)), version=1)
    _check_ranges(rate)
    db.add(rate)
    await resources.flush(db)
    await resources.record(db, "shipping_rate.created", rate, ShippingRateRead, actor)
    return rate


async def update_rate(
    db: AsyncSession,
    zone_id: uuid.UUID,
    rate_id: uuid.UUID,
    body: ShippingRateUpdate,
    *,
    if_match: int | None,
    actor: Principal,
) -> ShippingRate:
    rate = await get_rate(db, zone_id, rate_id, lock=True)
    resources.check_version(rate, if_match)
    resources.apply(rate, rate_values(body))
    _check_ranges(rate)
    await resources.flush(db)
    await resources.record(db, "shipping_rate.updated", rate, ShippingRateRead, actor)
    return rate


async def delete_rate(
    db: AsyncSession, zone_id: uuid.UUID, rate_id: uuid.UUID, *, if_match: int | None, actor: Principal
) -> None:
    rate = await get_rate(db, zone_id, rate_id, lock=True)
    resources.check_version(rate, if_match)
    await resources.record(db, "shipping_rate.deleted", rate, ShippingRateRead, actor)
    await db.delete(rate)
    await db.flush()
