"""Discount codes (docs/pricing.md#discounts)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import DiscountsRead, DiscountsWrite, IfMatch, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.catalog.errors import UnknownProducts
from commerce.discounts import service as discounts_service
from commerce.discounts.errors import DiscountCodeTaken, DiscountInUse, DiscountNotFound, UnknownCollections
from commerce.discounts.models import Discount
from commerce.discounts.schemas import DiscountCode, DiscountCreate, DiscountRead, DiscountUpdate
from core.errors import InvalidCursor, InvalidInput, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/discounts", tags=["admin: discounts"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]
_NOT_FOUND = (DiscountNotFound, TenantNotFound)


@router.get("", response_model=Page[DiscountRead], operation_id="discounts_list", responses=problems(InvalidCursor))
async def list_discounts(
    db: TenantSession,
    staff: DiscountsRead,
    code: Annotated[DiscountCode | None, Query(description="The discount with this code (any case).")] = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: Cursor = None,
) -> Page[DiscountRead]:
    """Discounts in the order they were created, or the one with `code`."""
    rows, has_more = await discounts_service.list_discounts(db, limit=limit, starting_after=starting_after, code=code)
    return Page[DiscountRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=DiscountRead,
    operation_id="discounts_create",
    responses=problems(DiscountCodeTaken, UnknownProducts, UnknownCollections, InvalidInput),
)
async def create_discount(
    body: DiscountCreate, db: TenantSession, staff: DiscountsWrite, response: Response
) -> Discount:
    """A code: `percentage` (`percentage_bps`), `fixed_amount` (`amounts` per currency) or `free_shipping`."""
    return tag(response, await discounts_service.create_discount(db, body, actor=staff))


@router.get(
    "/{discount_id}", response_model=DiscountRead, operation_id="discounts_get", responses=problems(*_NOT_FOUND)
)
async def get_discount(discount_id: uuid.UUID, db: TenantSession, staff: DiscountsRead, response: Response) -> Discount:
    """One discount, with `times_used`."""
    return tag(response, await discounts_service.get_discount(db, discount_id))


@router.patch(
    "/{discount_id}",
    response_model=DiscountRead,
    operation_id="discounts_update",
    responses=problems(
        *_NOT_FOUND, DiscountCodeTaken, UnknownProducts, UnknownCollections, InvalidInput, VersionMismatch
    ),
)
async def update_discount(
    discount_id: uuid.UUID,
    body: DiscountUpdate,
    db: TenantSession,
    staff: DiscountsWrite,
    if_match: IfMatch,
    response: Response,
) -> Discount:
    """Change the given fields (its `kind` is fixed); with `If-Match`, 412 if it changed since."""
    discount = await discounts_service.update_discount(db, discount_id, body, if_match=if_match, actor=staff)
    return tag(response, discount)


@router.delete(
    "/{discount_id}",
    status_code=204,
    operation_id="discounts_delete",
    responses=problems(*_NOT_FOUND, DiscountInUse, VersionMismatch),
)
async def delete_discount(discount_id: uuid.UUID, db: TenantSession, staff: DiscountsWrite, if_match: IfMatch) -> None:
    """Delete a discount no order has redeemed (409 `discount_in_use` otherwise: set `ends_at` instead)."""
    await discounts_service.delete_discount(db, discount_id, if_match=if_match, actor=staff)
