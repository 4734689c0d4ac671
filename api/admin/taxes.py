"""Tax classes and tax rates (docs/pricing.md#tax)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import IfMatch, TaxesRead, TaxesWrite, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.tax import service as tax_service
from commerce.tax.errors import (
    TaxClassCodeTaken,
    TaxClassInUse,
    TaxClassNotFound,
    TaxRateExists,
    TaxRateNotFound,
    UnknownTaxClass,
)
from commerce.tax.models import TaxClass, TaxRate
from commerce.tax.schemas import (
    Country,
    TaxClassCreate,
    TaxClassRead,
    TaxClassUpdate,
    TaxRateCreate,
    TaxRateRead,
    TaxRateUpdate,
)
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, tags=["admin: taxes"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]


@router.get(
    "/tax-classes",
    response_model=Page[TaxClassRead],
    operation_id="tax_classes_list",
    responses=problems(InvalidCursor),
)
async def list_tax_classes(
    db: TenantSession, staff: TaxesRead, limit: Limit = DEFAULT_LIMIT, starting_after: Cursor = None
) -> Page[TaxClassRead]:
    """Tax classes in the order they were created."""
    rows, has_more = await tax_service.list_classes(db, limit=limit, starting_after=starting_after)
    return Page[TaxClassRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post(
    "/tax-classes",
    status_code=201,
    response_model=TaxClassRead,
    operation_id="tax_classes_create",
    responses=problems(TaxClassCodeTaken),
)
async def create_tax_class(body: TaxClassCreate, db: TenantSession, staff: TaxesWrite, response: Response) -> TaxClass:
    """A class variants name in `tax_class` (`code`); the class `shipping` taxes shipping."""
    return tag(response, await tax_service.create_class(db, body, actor=staff))


@router.get(
    "/tax-classes/{class_id}",
    response_model=TaxClassRead,
    operation_id="tax_classes_get",
    responses=problems(TaxClassNotFound, TenantNotFound),
)
async def get_tax_class(class_id: uuid.UUID, db: TenantSession, staff: TaxesRead, response: Response) -> TaxClass:
    """One tax class."""
    return tag(response, await tax_service.get_class(db, class_id))


@router.patch(
    "/tax-classes/{class_id}",
    response_model=TaxClassRead,
    operation_id="tax_classes_update",
    responses=problems(TaxClassNotFound, TenantNotFound, VersionMismatch),
)
async def update_tax_class(
    class_id: uuid.UUID,
    body: TaxClassUpdate,
    db: TenantSession,
    staff: TaxesWrite,
    if_match: IfMatch,
    response: Response,
) -> TaxClass:
    """Rename the class (its code is fixed: variants refer to it)."""
    return tag(response, await tax_service.update_class(db, class_id, body, if_match=if_match, actor=staff))


@router.delete(
    "/tax-classes/{class_id}",
    status_code=204,
    operation_id="tax_classes_delete",
    responses=problems(TaxClassNotFound, TenantNotFound, TaxClassInUse, VersionMismatch),
)
async def delete_tax_class(class_id: uuid.UUID, db: TenantSession, staff: TaxesWrite, if_match: IfMatch) -> None:
    """Delete a class that has no rates; its variants are taxed at the standard rates again."""
    await tax_service.delete_class(db, class_id, if_match=if_match, actor=staff)


@router.get(
    "/tax-rates", response_model=Page[TaxRateRead], operation_id="tax_rates_list", responses=problems(InvalidCursor)
)
async def list_tax_rates(
    db: TenantSession,
    staff: TaxesRead,
    country: Annotated[Country | None, Query(description="Only this country's rates.")] = None,
    tax_class_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: Cursor = None,
) -> Page[TaxRateRead]:
    """Tax rates in the order they were created, by country or class."""
    rows, has_more = await tax_service.list_rates(
        db, limit=limit, starting_after=starting_after, country=country, tax_class_id=tax_class_id
    )
    return Page[TaxRateRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post(
    "/tax-rates",
    status_code=201,
    response_model=TaxRateRead,
    operation_id="tax_rates_create",
    responses=problems(TaxRateExists, UnknownTaxClass),
)
async def create_tax_rate(body: TaxRateCreate, db: TenantSession, staff: TaxesWrite, response: Response) -> TaxRate:
    """A rate of a class (or the standard rate, `tax_class_id` null) in a country or one of its subdivisions."""
    return tag(response, await tax_service.create_rate(db, body, actor=staff))


@router.get(
    "/tax-rates/{rate_id}",
    response_model=TaxRateRead,
    operation_id="tax_rates_get",
    responses=problems(TaxRateNotFound, TenantNotFound),
)
async def get_tax_rate(rate_id: uuid.UUID, db: TenantSession, staff: TaxesRead, response: Response) -> TaxRate:
    """One tax rate."""
    return tag(response, await tax_service.get_rate(db, rate_id))


@router.patch(
    "/tax-rates/{rate_id}",
    response_model=TaxRateRead,
    operation_id="tax_rates_update",
    responses=problems(TaxRateNotFound, TenantNotFound, VersionMismatch),
)
async def update_tax_rate(
    rate_id: uuid.UUID, body: TaxRateUpdate, db: TenantSession, staff: TaxesWrite, if_match: IfMatch, response: Response
) -> TaxRate:
    """Change the rate's name or basis points (its class and place are fixed: create another rate)."""
    return tag(response, await tax_service.update_rate(db, rate_id, body, if_match=if_match, actor=staff))


@router.delete(
    "/tax-rates/{rate_id}",
    status_code=204,
    operation_id="tax_rates_delete",
    responses=problems(TaxRateNotFound, TenantNotFound, VersionMismatch),
)
async def delete_tax_rate(rate_id: uuid.UUID, db: TenantSession, staff: TaxesWrite, if_match: IfMatch) -> None:
    """Delete the rate."""
    await tax_service.delete_rate(db, rate_id, if_match=if_match, actor=staff)
