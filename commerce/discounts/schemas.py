"""Request and response bodies of discount codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from commerce.discounts.models import DiscountKind
from core.money import AmountsByCurrency, Money, amounts_list, amounts_map
from core.schemas import ResourceRead
from core.validation import Text, reject_explicit_nulls

DiscountCode = Annotated[
    Text,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$"),
    Field(description="Letters, digits, `-` and `_`; unique in the shop regardless of case.", examples=["SUMMER10"]),
]
Ids = Annotated[list[uuid.UUID], Field(max_length=500)]
Limit = Annotated[int, Field(ge=1, le=1_000_000_000)]


class _DiscountFields(BaseModel):
    """The fields of a discount a merchant may change (create and update alike)."""

    model_config = ConfigDict(extra="forbid")

    percentage_bps: int | None = Field(
        default=None, ge=1, le=10_000, description="`percentage`: basis points off (1000 is 10%)."
    )
    amounts: AmountsByCurrency | None = Field(
        default=None, description="`fixed_amount`: the amount off in each currency it applies in."
    )
    product_ids: Ids | None = Field(default=None, description="Only these products' lines (with `collection_ids`).")
    collection_ids: Ids | None = Field(default=None, description="Only the lines of these collections' products.")
    minimum_subtotals: AmountsByCurrency | None = Field(
        default=None, description="The order subtotal (before discounts) it needs, per currency."
    )
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(default=None, description="Exclusive.")
    usage_limit: Limit | None = Field(default=None, description="Redemptions in total; null: no limit.")
    per_customer_limit: Limit | None = Field(
        default=None, description="Redemptions per customer (by id; guests by e-mail); null: no limit."
    )

    @field_validator("product_ids", "collection_ids")
    @classmethod
    def _unique_ids(cls, ids: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if ids is not None and len(set(ids)) != len(ids):
            raise ValueError("ids must not repeat")
        return ids


class DiscountCreate(_DiscountFields):
    code: DiscountCode
    kind: DiscountKind


class DiscountUpdate(_DiscountFields):
    code: DiscountCode | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> DiscountUpdate:
        reject_explicit_nulls(self, "code", "amounts", "product_ids", "collection_ids", "minimum_subtotals")
        return self


class DiscountRead(ResourceRead):
    object: str = "discount"
    code: str
    kind: DiscountKind
    percentage_bps: int | None
    amounts: list[Money]
    product_ids: list[uuid.UUID]
    collection_ids: list[uuid.UUID]
    minimum_subtotals: list[Money]
    starts_at: datetime | None
    ends_at: datetime | None
    usage_limit: int | None
    per_customer_limit: int | None
    times_used: int = Field(description="Orders that redeemed it.")
    version: int
    created_at: datetime
    updated_at: datetime

    _amounts = field_validator("amounts", "minimum_subtotals", mode="before")(amounts_list)


def discount_values(body: _DiscountFields) -> dict[str, Any]:
    """The stored values of the fields the body sets (money lists as ``{currency: amount}`` maps)."""
    values = body.model_dump(exclude_unset=True)
    for name in ("amounts", "minimum_subtotals"):
        if name in values:
            values[name] = amounts_map(getattr(body, name) or [])
    return values
