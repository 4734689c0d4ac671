"""Request and response bodies of tax classes and tax rates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.schemas import ResourceRead
from core.validation import DisplayName, Text, reject_explicit_nulls

# What a variant's ``tax_class`` holds (the catalog's TaxClass type): the class is found by this code.
TaxClassCode = Annotated[
    Text,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="Matches variants' `tax_class`; `shipping` is the class of shipping.", examples=["reduced"]),
]
Country = Annotated[Text, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2.")]
Subdivision = Annotated[
    Text,
    StringConstraints(pattern=r"^[A-Z0-9]{1,3}$"),
    Field(description='ISO 3166-2 subdivision code without the country ("CA" for US-CA).'),
]
RateName = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
BasisPoints = Annotated[int, Field(ge=0, le=10_000, description="Basis points: 2000 is 20%.")]


class TaxClassCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: TaxClassCode
    name: DisplayName


class TaxClassUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> TaxClassUpdate:
        reject_explicit_nulls(self, "name")
        return self


class TaxClassRead(ResourceRead):
    object: str = "tax_class"
    code: str
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


class TaxRateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tax_class_id: uuid.UUID | None = Field(default=None, description="Null: the standard rate.")
    country: Country
    subdivision: Subdivision | None = Field(default=None, description="Adds to the country's rate there.")
    name: RateName = Field(description='Shown on tax lines ("VAT", "GST", "CA state tax").')
    rate_bps: BasisPoints


class TaxRateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RateName | None = None
    rate_bps: BasisPoints | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> TaxRateUpdate:
        reject_explicit_nulls(self, "name", "rate_bps")
        return self


class TaxRateRead(ResourceRead):
    object: str = "tax_rate"
    tax_class_id: uuid.UUID | None
    country: str
    subdivision: str | None
    name: str
    rate_bps: int
    version: int
    created_at: datetime
    updated_at: datetime
