"""Request and response bodies of the merchant's customers, their addresses and data exports."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from core.schemas import ResourceRead
from core.validation import MultilineText, Text, reject_explicit_nulls

MAX_TAGS = 50
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _lowercase(email: str) -> str:
    return email.lower()


def _phone(value: str) -> str:
    """E.164 (``+33612345678``); spaces, dots, dashes, slashes and parentheses are dropped first."""
    compact = _PHONE_SEPARATORS.sub("", value)
    if not _E164.fullmatch(compact):
        raise ValueError("must be a phone number in international format, e.g. +33 6 12 34 56 78")
    return compact


def _tags(values: list[str]) -> list[str]:
    """Trimmed, without duplicates (case-insensitively, first spelling kept), in the order given."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            kept.append(value)
    return kept


CustomerEmail = Annotated[EmailStr, AfterValidator(_lowercase)]
PhoneNumber = Annotated[Text, StringConstraints(max_length=40), AfterValidator(_phone)]
PersonName = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=100)]
ExternalId = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Tag = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^,]+$")]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_tags)]
Note = Annotated[MultilineText, StringConstraints(max_length=5000)]
CountryCode = Annotated[Text, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]
AddressLine = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=200)]
RequiredLine = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Locality = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=100)]
RequiredLocality = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PostalCode = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=20)]
SearchText = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]

_MARKETING = "Whether the customer agreed to receive marketing; any change records `marketing_consent_updated_at`."


# --- addresses ---------------------------------------------------------------------------------------


class AddressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: PersonName = ""
    last_name: PersonName = ""
    company: AddressLine = ""
    line1: RequiredLine
    line2: AddressLine = ""
    city: RequiredLocality
    region: Locality = Field(default="", description="State, province or county.")
    postal_code: PostalCode = ""
    country_code: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. `FR`.")
    phone: PhoneNumber | None = None
    is_default_shipping: bool = Field(default=False, description="Becomes the default; the previous one stops being.")
    is_default_billing: bool = False


class AddressUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    company: AddressLine | None = None
    line1: RequiredLine | None = None
    line2: AddressLine | None = None
    city: RequiredLocality | None = None
    region: Locality | None = None
    postal_code: PostalCode | None = None
    country_code: CountryCode | None = None
    phone: PhoneNumber | None = None
    is_default_shipping: bool | None = Field(default=None, description="`true` makes it the default; `false` unsets.")
    is_default_billing: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> AddressUpdate:
        optional = {"phone"}
        reject_explicit_nulls(self, *(name for name in type(self).model_fields if name not in optional))
        return self


class AddressRead(ResourceRead):
    object: str = "customer_address"
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    company: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country_code: str
    phone: str | None
    is_default_shipping: bool
    is_default_billing: bool
    created_at: datetime
    updated_at: datetime


# --- customers ---------------------------------------------------------------------------------------


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: CustomerEmail = Field(description="Unique in the shop, case-insensitively; stored lower-case.")
    first_name: PersonName = ""
    last_name: PersonName = ""
    phone: PhoneNumber | None = None
    external_id: ExternalId | None = Field(default=None, description="Your own id for the customer; unique when set.")
    tags: Tags = Field(default_factory=list)
    note: Note = ""
    accepts_marketing: bool = Field(default=False, description=_MARKETING)
    tax_exempt: bool = False
    addresses: list[AddressCreate] = Field(default_factory=list, max_length=10)


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: CustomerEmail | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    phone: PhoneNumber | None = Field(default=None, description="`null` clears it.")
    external_id: ExternalId | None = Field(default=None, description="`null` clears it.")
    tags: Tags | None = None
    note: Note | None = None
    accepts_marketing: bool | None = Field(default=None, description=_MARKETING)
    tax_exempt: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> CustomerUpdate:
        reject_explicit_nulls(
            self, "email", "first_name", "last_name", "tags", "note", "accepts_marketing", "tax_exempt"
        )
        return self


class CustomerRead(ResourceRead):
    object: str = "customer"
    email: str
    first_name: str
    last_name: str
    name: str = Field(description="The display name the shopper chose at sign-up.")
    phone: str | None
    external_id: str | None
    tags: list[str]
    note: str
    accepts_marketing: bool
    marketing_consent_updated_at: datetime | None
    tax_exempt: bool
    has_account: bool = Field(description="Whether the customer can sign in (has set a password).")
    version: int = Field(description="Send it back in If-Match to update safely.")
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    erased_at: datetime | None = Field(description="When the customer's personal data was erased (GDPR).")


# --- the shopper's own profile (storefront) ------------------------------------------------------------


class ProfileRead(ResourceRead):
    object: str = "customer"
    email: str
    name: str
    first_name: str
    last_name: str
    phone: str | None
    accepts_marketing: bool
    marketing_consent_updated_at: datetime | None
    created_at: datetime


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    phone: PhoneNumber | None = Field(default=None, description="`null` clears it.")
    accepts_marketing: bool | None = Field(default=None, description=_MARKETING)

    @model_validator(mode="after")
    def _no_nulls(self) -> ProfileUpdate:
        reject_explicit_nulls(self, "name", "first_name", "last_name", "accepts_marketing")
        return self


# --- GDPR data exports ---------------------------------------------------------------------------------


class DataExportRead(ResourceRead):
    object: str = "customer_data_export"
    customer_id: uuid.UUID
    status: str = Field(description="`pending` until the job has built the document, then `succeeded`.")
    created_at: datetime
    completed_at: datetime | None
    document: dict[str, Any] | None = Field(
        description="Everything stored about the customer, once `succeeded` (see docs/customers.md)."
    )
