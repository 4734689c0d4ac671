from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from core.schemas import ResourceRead
from core.validation import DisplayName, reject_explicit_nulls
from tenants.models import TenantStatus

SLUG_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
HOST_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"

# Subdomains of the base domain that belong to the platform itself, never to a tenant.
RESERVED_SLUGS = frozenset({"api", "admin", "app", "docs", "platform", "static", "status", "www", "mail"})


def _not_reserved(slug: str) -> str:
    if slug in RESERVED_SLUGS:
        raise ValueError(f"{slug!r} is reserved for the platform")
    return slug


Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=63), AfterValidator(_not_reserved)]


def _normalise_host(value: object) -> object:
    return value.strip().lower().rstrip(".") if isinstance(value, str) else value


Host = Annotated[str, BeforeValidator(_normalise_host), StringConstraints(max_length=253, pattern=HOST_PATTERN)]
Plan = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,50}$")]


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug = Field(description="DNS label: the tenant's subdomain and X-Tenant value. Never reused.")
    name: DisplayName
    owner_email: EmailStr
    plan: Plan = "standard"


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    plan: Plan | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> TenantUpdate:
        reject_explicit_nulls(self, "name", "plan")
        return self


class TenantDomainCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: Host


class TenantDomainRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    host: str
    created_at: datetime


class TenantRead(ResourceRead):
    object: str = "tenant"
    slug: str
    name: str
    status: TenantStatus
    plan: str
    schema_revision: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    suspended_at: datetime | None
    deleted_at: datetime | None


class OwnerCredentials(BaseModel):
    email: str
    password: str = Field(description="Shown once. The owner should change it after the first login.")


class TenantCreated(BaseModel):
    tenant: TenantRead
    owner: OwnerCredentials


class RevisionCount(BaseModel):
    revision: str | None
    tenants: int


class FleetSummary(BaseModel):
    object: str = "migration_summary"
    head: str
    tenants_total: int
    at_head: int
    behind: int
    by_revision: list[RevisionCount]
