"""Request and response bodies of the catalog (admin and storefront)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from commerce.catalog.models import ImportFormat, ImportStatus, ProductStatus, WeightUnit
from core.money import CurrencyCode, MinorUnits, Money, check_amount
from core.validation import MultilineText, Text, reject_explicit_nulls

MAX_OPTIONS = 3
MAX_OPTION_VALUES = 100
MAX_VARIANTS = 100
MAX_TAGS = 250
MAX_MEDIA = 50
MAX_METADATA_KEYS = 50
MAX_PRICES = 20


def _unique(values: list[Any], what: str) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice")
        seen.add(value)
    return values


Handle = Annotated[
    Text,
    StringConstraints(min_length=1, max_length=255, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
    Field(description="Lower-case letters, digits and single hyphens; unique in the shop.", examples=["blue-shirt"]),
]
Title = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ShortText = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Sku = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Tag = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
OptionName = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionValue = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MetadataKey = Annotated[Text, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[Text, StringConstraints(max_length=500)]
Description = Annotated[MultilineText, StringConstraints(max_length=65_535)]
SeoTitle = Annotated[Text, StringConstraints(max_length=255)]
SeoDescription = Annotated[MultilineText, StringConstraints(max_length=1000)]
Barcode = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
TaxClass = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Weight is not money: a decimal with at most three places (1.25 kg), read from a JSON number or string, shown as a number.
Weight = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=3),
    PlainSerializer(lambda value: float(value), return_type=float, when_used="json"),
]


def _tags(values: list[str]) -> list[str]:
    """Tags keep the merchant's spelling, without duplicates, in the order given."""
    return list(dict.fromkeys(values))


Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_tags)]


def _metadata(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"at most {MAX_METADATA_KEYS} keys")
    return value


Metadata = Annotated[
    dict[MetadataKey, MetadataValue],
    AfterValidator(_metadata),
    Field(
        description=f"Your own key-value strings (at most {MAX_METADATA_KEYS} keys of 40 characters, values of 500)."
    ),
]


# --- prices ---------------------------------------------------------------------------------------------------------


class PriceWrite(Money):
    """A variant's price in one currency; ``compare_at_amount`` is the "was" price shown struck through."""

    compare_at_amount: MinorUnits | None = None

    @field_validator("compare_at_amount")
    @classmethod
    def _compare_at_within_range(cls, amount: int | None, info: ValidationInfo) -> int | None:
        currency = info.data.get("currency")
        return check_amount(amount, currency) if amount is not None and currency is not None else amount


class PriceRead(BaseModel):
    amount: int
    currency: str
    compare_at_amount: int | None


def _one_price_per_currency(prices: list[PriceWrite]) -> list[PriceWrite]:
    _unique([price.currency for price in prices], "currency")
    return prices


Prices = Annotated[list[PriceWrite], Field(max_length=MAX_PRICES), AfterValidator(_one_price_per_currency)]


# --- options, media -------------------------------------------------------------------------------------------------


class OptionWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OptionName = Field(examples=["Size"])
    values: list[OptionValue] = Field(min_length=1, max_length=MAX_OPTION_VALUES, examples=[["S", "M", "L"]])

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        return _unique(values, "option value")


class OptionRead(BaseModel):
    name: str
    values: list[str]


class MediaWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="An http(s) URL of the image.")
    alt_text: Annotated[Text, StringConstraints(max_length=512)] | None = None

    @field_validator("url")
    @classmethod
    def _short_enough(cls, url: HttpUrl) -> HttpUrl:
        if len(str(url)) > 2048:
            raise ValueError("at most 2048 characters")
        return url


class MediaRead(BaseModel):
    id: uuid.UUID
    url: str
    alt_text: str | None
    position: int


def _options(options: list[OptionWrite]) -> list[OptionWrite]:
    _unique([option.name for option in options], "option")
    return options


Options = Annotated[list[OptionWrite], Field(max_length=MAX_OPTIONS), AfterValidator(_options)]


# --- variants -------------------------------------------------------------------------------------------------------


class VariantFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = Field(default=None, description="Unique in the shop when set.")
    option_values: list[OptionValue] = Field(
        default_factory=list,
        max_length=MAX_OPTIONS,
        description="One value per product option, in the options' order (empty for a product without options).",
        examples=[["M", "Blue"]],
    )
    barcode: Barcode | None = None
    weight: Weight | None = None
    weight_unit: WeightUnit = WeightUnit.KG
    requires_shipping: bool = True
    track_inventory: bool = True
    allow_backorder: bool = False
    tax_class: TaxClass | None = None
    prices: Prices = Field(default_factory=list, description="At most one price per currency.")


class VariantCreate(VariantFields):
    pass


class VariantUpdate(BaseModel):
    """Fields to change; ``prices``, when given, replaces every price of the variant."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = None
    option_values: list[OptionValue] | None = Field(default=None, max_length=MAX_OPTIONS)
    barcode: Barcode | None = None
    weight: Weight | None = None
    weight_unit: WeightUnit | None = None
    requires_shipping: bool | None = None
    track_inventory: bool | None = None
    allow_backorder: bool | None = None
    tax_class: TaxClass | None = None
    prices: Prices | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> VariantUpdate:
        reject_explicit_nulls(
            self,
            "option_values",
            "weight_unit",
            "requires_shipping",
            "track_inventory",
            "allow_backorder",
            "prices",
        )
        return self


class VariantRead(BaseModel):
    object: Literal["variant"] = "variant"
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str | None
    title: str = Field(description='The option values joined by " / " ("Default" without options).')
    position: int
    option_values: list[str]
    barcode: str | None
    weight: Weight | None
    weight_unit: WeightUnit
    requires_shipping: bool
    track_inventory: bool
    allow_backorder: bool
    tax_class: str | None
    prices: list[PriceRead]
    version: int
    created_at: datetime
    updated_at: datetime


# --- products -------------------------------------------------------------------------------------------------------


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    handle: Handle | None = Field(default=None, description="Generated from the title when absent.")
    description: Description = ""
    status: ProductStatus = ProductStatus.DRAFT
    vendor: ShortText | None = None
    product_type: ShortText | None = None
    tags: Tags = Field(default_factory=list)
    options: Options = Field(default_factory=list)
    variants: list[VariantCreate] = Field(default_factory=list, max_length=MAX_VARIANTS)
    media: list[MediaWrite] = Field(default_factory=list, max_length=MAX_MEDIA)
    metadata: Metadata = Field(default_factory=dict)
    seo_title: SeoTitle | None = None
    seo_description: SeoDescription | None = None


class ProductUpdate(BaseModel):
    """Fields to change. ``options`` and ``media``, when given, replace the whole list; variants change through
    their own endpoints."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    handle: Handle | None = None
    description: Description | None = None
    status: ProductStatus | None = None
    vendor: ShortText | None = None
    product_type: ShortText | None = None
    tags: Tags | None = None
    options: Options | None = None
    media: list[MediaWrite] | None = Field(default=None, max_length=MAX_MEDIA)
    metadata: Metadata | None = None
    seo_title: SeoTitle | None = None
    seo_description: SeoDescription | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> ProductUpdate:
        reject_explicit_nulls(self, "title", "handle", "description", "status", "tags", "options", "media", "metadata")
        return self


class ProductRead(BaseModel):
    object: Literal["product"] = "product"
    id: uuid.UUID
    handle: str
    title: str
    description: str
    status: ProductStatus
    vendor: str | None
    product_type: str | None
    tags: list[str]
    options: list[OptionRead]
    variants: list[VariantRead]
    media: list[MediaRead]
    metadata: dict[str, str]
    seo_title: str | None
    seo_description: str | None
    version: int = Field(description="Send it back in If-Match to update safely.")
    created_at: datetime
    updated_at: datetime


class ProductList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ProductRead]
    has_more: bool


class ProductSort(BaseModel):
    """A parsed ``sort`` parameter: a field and a direction (``-title`` is descending)."""

    field: Literal["created_at", "updated_at", "title", "relevance"]
    descending: bool


class ProductFilters(BaseModel):
    status: ProductStatus | None = None
    collection_id: uuid.UUID | None = None
    vendor: str | None = None
    tag: str | None = None
    sku: str | None = None
    updated_after: datetime | None = None
    q: str | None = None


# --- collections ----------------------------------------------------------------------------------------------------


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    handle: Handle | None = Field(default=None, description="Generated from the title when absent.")
    description: Description = ""
    seo_title: SeoTitle | None = None
    seo_description: SeoDescription | None = None


class CollectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    handle: Handle | None = None
    description: Description | None = None
    seo_title: SeoTitle | None = None
    seo_description: SeoDescription | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> CollectionUpdate:
        reject_explicit_nulls(self, "title", "handle", "description")
        return self


class CollectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object: Literal["collection"] = "collection"
    id: uuid.UUID
    handle: str
    title: str
    description: str
    seo_title: str | None
    seo_description: str | None
    products_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class CollectionList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CollectionRead]
    has_more: bool


MAX_MEMBERSHIP_CHANGE = 1000


class CollectionProductsAdd(BaseModel):
    """Products to add, in this order, at the end of the collection (or before ``position``, 1-based)."""

    model_config = ConfigDict(extra="forbid")

    product_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_MEMBERSHIP_CHANGE)
    position: int | None = Field(default=None, ge=1, description="Insert here instead of at the end.")

    @field_validator("product_ids")
    @classmethod
    def _distinct(cls, values: list[uuid.UUID]) -> list[uuid.UUID]:
        return _unique(values, "product")


class CollectionProductsSet(BaseModel):
    """The collection's complete membership, in order: products not listed leave it."""

    model_config = ConfigDict(extra="forbid")

    product_ids: list[uuid.UUID] = Field(max_length=MAX_MEMBERSHIP_CHANGE)

    @field_validator("product_ids")
    @classmethod
    def _distinct(cls, values: list[uuid.UUID]) -> list[uuid.UUID]:
        return _unique(values, "product")


# --- imports --------------------------------------------------------------------------------------------------------


class ImportRowError(BaseModel):
    line: int = Field(description="1-based line of the file (CSV: the header is line 1).")
    field: str | None = Field(description="The field at fault, as a dotted path (`variants.0.prices.0.amount`).")
    code: str
    message: str


class ProductImportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    object: Literal["product_import"] = "product_import"
    id: uuid.UUID
    status: ImportStatus
    format: ImportFormat
    total_rows: int = Field(description="Products in the file (CSV: distinct handles).")
    created_count: int
    updated_count: int
    failed_count: int
    errors: list[ImportRowError] = Field(description="At most 1000 errors are kept, in file order.")
    failure: str | None = Field(description="Why the whole import failed (status `failed`), e.g. an unreadable file.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


# --- storefront -----------------------------------------------------------------------------------------------------


class StorefrontPrice(BaseModel):
    amount: int
    currency: str


class StorefrontVariant(BaseModel):
    id: uuid.UUID
    title: str
    sku: str | None
    option_values: list[str]
    price: StorefrontPrice | None = Field(description="In the requested currency; None when none is set.")
    compare_at_price: StorefrontPrice | None
    available_for_sale: bool = Field(description="Untracked, allows backorders, or in stock at an active location.")
    quantity_available: int | None = Field(
        description="Units available over active locations, only if the shop shows stock counts; else null."
    )


class StorefrontProduct(BaseModel):
    object: Literal["product"] = "product"
    id: uuid.UUID
    handle: str
    title: str
    description: str
    vendor: str | None
    product_type: str | None
    tags: list[str]
    options: list[OptionRead]
    media: list[MediaRead]
    seo_title: str | None
    seo_description: str | None
    variants: list[StorefrontVariant]


class StorefrontProductList(BaseModel):
    object: Literal["list"] = "list"
    data: list[StorefrontProduct]
    has_more: bool


class StorefrontCollection(BaseModel):
    object: Literal["collection"] = "collection"
    id: uuid.UUID
    handle: str
    title: str
    description: str
    seo_title: str | None
    seo_description: str | None


class StorefrontCollectionList(BaseModel):
    object: Literal["list"] = "list"
    data: list[StorefrontCollection]
    has_more: bool


__all__ = ["CurrencyCode"]
