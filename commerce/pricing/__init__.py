"""Totals of carts and orders: shipping, tax and discounts applied by one pure engine.

``from commerce.pricing import quote, QuoteRequest, ...`` (CONTRACTS.md section 2); the rules are in
``engine.py`` and docs/pricing.md.
"""

from commerce.discounts.errors import DiscountCodeNotFound, DiscountNotApplicable, NotApplicableReason
from commerce.pricing.engine import tax_summary
from commerce.pricing.service import quote, redeem_discount, shipping_options
from commerce.pricing.types import (
    AppliedDiscount,
    Destination,
    LineTotals,
    Quote,
    QuoteLine,
    QuoteRequest,
    ShippingOption,
    ShippingTotals,
    TaxLine,
)
from commerce.shipping.errors import ShippingRateUnavailable
from commerce.shipping.service import weight_in_grams

__all__ = [
    "AppliedDiscount",
    "Destination",
    "DiscountCodeNotFound",
    "DiscountNotApplicable",
    "LineTotals",
    "NotApplicableReason",
    "Quote",
    "QuoteLine",
    "QuoteRequest",
    "ShippingOption",
    "ShippingRateUnavailable",
    "ShippingTotals",
    "TaxLine",
    "quote",
    "redeem_discount",
    "shipping_options",
    "tax_summary",
    "weight_in_grams",
]
