from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from core.validation import CurrencyCode, DisplayName, TimeZoneName, reject_explicit_nulls


class ShopRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object: str = "shop"
    name: str
    default_currency: str = Field(description="ISO 4217 code used for new prices.")
    timezone: str = Field(description="IANA time zone of the shop.")
    support_email: str | None
    show_inventory_quantities: bool = Field(description="Whether storefronts see exact stock counts.")
    prices_include_tax: bool = Field(
        description="Whether catalog prices and shipping rates include tax (see docs/pricing.md)."
    )
    version: int = Field(description="Send it back in If-Match to update safely.")
    updated_at: datetime


class ShopUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    default_currency: CurrencyCode | None = None
    timezone: TimeZoneName | None = None
    support_email: EmailStr | None = None
    show_inventory_quantities: bool | None = Field(
        default=None, description="Let storefronts see exact stock counts (otherwise only `available_for_sale`)."
    )

    prices_include_tax: bool | None = Field(
        default=None, description="Catalog prices and shipping rates include tax (true) or exclude it (false)."
    )

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> ShopUpdate:
        reject_explicit_nulls(
            self, "name", "default_currency", "timezone", "show_inventory_quantities", "prices_include_tax"
        )
        return self


class StorefrontShopRead(BaseModel):
    """What a storefront may show about the shop: public facts only."""

    model_config = ConfigDict(from_attributes=True)

    object: str = "shop"
    name: str
    default_currency: str
    timezone: str
    support_email: str | None
    prices_include_tax: bool = Field(description="Whether prices include tax (show them as such).")
