"""Request and response bodies of locations, inventory levels and the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commerce.inventory.models import MERCHANT_REASONS, AdjustmentReason
from core.schemas import ResourceRead
from core.validation import DisplayName, Text, reject_explicit_nulls

MAX_QUANTITY = 1_000_000_000  # far below int4's range: sums of a few levels never overflow


def _merchant_reason(reason: AdjustmentReason) -> AdjustmentReason:
    if reason not in MERCHANT_REASONS:
        raise ValueError(f"must be one of {', '.join(sorted(MERCHANT_REASONS))}")
    return reason


MerchantReason = Annotated[AdjustmentReason, AfterValidator(_merchant_reason)]
Reference = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName = Field(description="Unique in the shop.")


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    is_active: bool | None = Field(default=None, description="A deactivated location keeps its stock but none moves.")

    @model_validator(mode="after")
    def _no_nulls(self) -> LocationUpdate:
        reject_explicit_nulls(self, "name", "is_active")
        return self


class LocationRead(ResourceRead):
    object: str = "location"
    name: str
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class LevelRead(ResourceRead):
    object: str = "inventory_level"
    variant_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: int = Field(description="Units physically at the location.")
    committed: int = Field(description="Units promised to orders not yet fulfilled.")
    reserved: int = Field(description="Units held for carts in checkout.")
    available: int = Field(description="`on_hand - committed - reserved`: what can still be sold.")
    version: int = Field(description="Increases with every change; usable in If-Match on `set`.")
    created_at: datetime
    updated_at: datetime


class LevelAdjust(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: uuid.UUID
    location_id: uuid.UUID
    delta: int = Field(
        ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Added to `on_hand` (negative to remove); never 0."
    )
    reason: MerchantReason
    reference: Reference | None = Field(default=None, description="Your reference (a delivery note, a count sheet).")

    @model_validator(mode="after")
    def _not_zero(self) -> LevelAdjust:
        if self.delta == 0:
            raise ValueError("delta must not be 0")
        return self


class LevelSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: int = Field(ge=0, le=MAX_QUANTITY, description="The new absolute `on_hand`.")
    expected_on_hand: int | None = Field(
        default=None,
        ge=0,
        description="Compare-and-set: the `on_hand` you read. If it changed since, 409 `inventory_level_changed`.",
    )
    reason: MerchantReason = AdjustmentReason.CYCLE_COUNT
    reference: Reference | None = None


class AdjustmentRead(ResourceRead):
    object: str = "inventory_adjustment"
    level_id: uuid.UUID
    variant_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Literal["on_hand", "committed", "reserved"] = Field(description="Which quantity changed.")
    delta: int
    quantity_after: int = Field(description="The quantity's value right after this change.")
    reason: AdjustmentReason
    reference: str | None
    actor_kind: str | None = Field(description="`staff`, `api_key`, `customer`, `client`, or null for the system.")
    actor_id: uuid.UUID | None
    created_at: datetime


class VariantAvailability(BaseModel):
    """What a storefront may show about a variant's stock."""

    variant_id: uuid.UUID
    available_for_sale: bool
    quantity_available: int | None = Field(
        default=None, description="Units available over all active locations, only if the shop shows quantities."
    )
