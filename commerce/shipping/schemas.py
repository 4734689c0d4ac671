"""Request and response bodies of shipping zones and rates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from core.money import AmountsByCurrency, Money, amounts_list, amounts_map
from core.schemas import ResourceRead
from core.validation import DisplayName, Text, reject_explicit_nulls

# "FR" (a whole country, ISO 3166-1 alpha-2) or "US-CA" (one subdivision, ISO 3166-2).
RegionCode = Annotated[
    Text,
    StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"),
    Field(description='ISO 3166-1 alpha-2 ("FR") or ISO 3166-2 ("US-CA").', examples=["US-CA"]),
]
Regions = Annotated[list[RegionCode], Field(min_length=1, max_length=500)]
Grams = Annotated[int, Field(ge=0, le=10**12, description="Grams.")]
Days = Annotated[int, Field(ge=0, le=365)]


def _unique(regions: list[str] | None) -> list[str] | None:
    if regions is not None and len(set(regions)) != len(regions):
        raise ValueError("regions must not repeat")
    return regions


class ShippingZoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName
    regions: Regions

    _unique_regions = field_validator("regions")(_unique)


class ShippingZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    regions: Regions | None = None

    _unique_regions = field_validator("regions")(_unique)

    @model_validator(mode="after")
    def _no_nulls(self) -> ShippingZoneUpdate:
        reject_explicit_nulls(self, "name", "regions")
        return self


class ShippingZoneRead(ResourceRead):
    object: str = "shipping_zone"
    name: str
    regions: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class _RateFields(BaseModel):
    """Every field of a rate but its name and prices, for create and update alike (all optional)."""

    model_config = ConfigDict(extra="forbid")

    min_subtotal: AmountsByCurrency | None = Field(
        default=None, description="Applies from this subtotal (inclusive), per currency."
    )
    max_subtotal: AmountsByCurrency | None = Field(
        default=None, description="Applies below this subtotal (exclusive), per currency."
    )
    min_weight_grams: Grams | None = Field(default=None, description="Applies from this weight (inclusive).")
    max_weight_grams: Grams | None = Field(default=None, description="Applies below this weight (exclusive).")
    free_above: AmountsByCurrency | None = Field(
        default=None, description="Free when the subtotal reaches this amount, per currency."
    )
    min_delivery_days: Days | None = None
    max_delivery_days: Days | None = None


class ShippingRateCreate(_RateFields):
    name: DisplayName
    prices: AmountsByCurrency = Field(min_length=1, description="The rate's amount in each currency it serves.")


class ShippingRateUpdate(_RateFields):
    name: DisplayName | None = None
    prices: AmountsByCurrency | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _no_nulls(self) -> ShippingRateUpdate:
        reject_explicit_nulls(self, "name", "prices")
        return self


class ShippingRateRead(ResourceRead):
    object: str = "shipping_rate"
    zone_id: uuid.UUID
    name: str
    prices: list[Money]
    min_subtotal: list[Money]
    max_subtotal: list[Money]
    min_weight_grams: int | None
    max_weight_grams: int | None
    free_above: list[Money]
    min_delivery_days: int | None
    max_delivery_days: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    _amounts = field_validator("prices", "min_subtotal", "max_subtotal", "free_above", mode="before")(amounts_list)


class ShippingOptionRead(BaseModel):
    """A rate a cart may choose, with its amount for that cart."""

    model_config = ConfigDict(from_attributes=True)

    object: str = "shipping_option"
    rate_id: uuid.UUID
    zone_id: uuid.UUID
    name: str
    amount: int
    currency: str
    delivery_estimate: str | None
    min_delivery_days: int | None
    max_delivery_days: int | None


def rate_values(body: _RateFields) -> dict[str, Any]:
    """The stored values of the fields the body sets (money lists as ``{currency: amount}`` maps)."""
    values = body.model_dump(exclude_unset=True)
    for name in ("prices", "min_subtotal", "max_subtotal", "free_above"):
        if name in values:
            values[name] = amounts_map(getattr(body, name) or [])
    return values
