from __future__ import annotations

from core.errors import Conflict, NotFound


class ShippingZoneNotFound(NotFound):
    code = "shipping_zone_not_found"
    title = "The shipping zone does not exist."


class ShippingRateNotFound(NotFound):
    code = "shipping_rate_not_found"
    title = "The shipping rate does not exist."


class ShippingRateUnavailable(Conflict):
    code = "shipping_rate_unavailable"
    title = "The chosen shipping rate does not apply to this cart (destination, currency, subtotal or weight)."
