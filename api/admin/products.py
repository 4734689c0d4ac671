"""Products and their variants (scopes ``products:read`` / ``products:write``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import IfMatch, ProductsRead, ProductsWrite, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.catalog import service as catalog_service
from commerce.catalog.errors import (
    HandleAlreadyExists,
    InvalidSearchQuery,
    InvalidVariantOptions,
    ProductNotFound,
    SkuAlreadyExists,
    VariantNotFound,
    VariantOptionsTaken,
)
from commerce.catalog.models import ProductStatus
from commerce.catalog.schemas import (
    ProductCreate,
    ProductFilters,
    ProductList,
    ProductRead,
    ProductUpdate,
    VariantCreate,
    VariantRead,
    VariantUpdate,
)
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/products", tags=["admin: products"])

_WRITE_PROBLEMS = (HandleAlreadyExists, SkuAlreadyExists, VariantOptionsTaken, InvalidVariantOptions)


@router.get(
    "",
    response_model=ProductList,
    operation_id="products_list",
    responses=problems(InvalidCursor, InvalidSearchQuery),
)
async def list_products(
    db: TenantSession,
    staff: ProductsRead,
    status: ProductStatus | None = None,
    collection_id: Annotated[uuid.UUID | None, Query(description="Only products in this collection.")] = None,
    vendor: Annotated[Text | None, Query(max_length=255)] = None,
    tag: Annotated[Text | None, Query(max_length=255)] = None,
    sku: Annotated[Text | None, Query(max_length=255, description="Products with a variant of this SKU.")] = None,
    updated_after: Annotated[datetime | None, Query(description="RFC 3339 time.")] = None,
    q: Annotated[
        Text | None,
        Query(
            max_length=200, description="Full-text search over title, tags, SKUs, vendor, description; prefixes match."
        ),
    ] = None,
    sort: Annotated[
        Text | None,
        Query(
            description="`created_at` (default), `updated_at`, `title`; `-` before one for descending; "
            "`relevance` (the default with `q`)."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    starting_after: Annotated[Text | None, Query(description="Id of the last product of the previous page.")] = None,
) -> ProductList:
    """Products matching every filter given, a page at a time."""
    filters = ProductFilters(
        status=status,
        collection_id=collection_id,
        vendor=vendor,
        tag=tag,
        sku=sku,
        updated_after=updated_after,
        q=q,
    )
    return await catalog_service.list_products(db, filters, sort=sort, limit=limit, starting_after=starting_after)


@router.post(
    "",
    status_code=201,
    response_model=ProductRead,
    operation_id="products_create",
    responses=problems(*_WRITE_PROBLEMS),
)
async def create_product(
    body: ProductCreate, db: TenantSession, staff: ProductsWrite, response: Response
) -> ProductRead:
    """Create a product, with its options, variants (and their prices) and media in one call."""
    product = await catalog_service.create_product(db, body, actor=staff)
    tag(response, product)
    return product


@router.get(
    "/{product_id}",
    response_model=ProductRead,
    operation_id="products_get",
    responses=problems(ProductNotFound, TenantNotFound),
)
async def get_product(product_id: uuid.UUID, db: TenantSession, staff: ProductsRead, response: Response) -> ProductRead:
    product = await catalog_service.get_product(db, product_id)
    tag(response, product)
    return product


@router.patch(
    "/{product_id}",
    response_model=ProductRead,
    operation_id="products_update",
    responses=problems(ProductNotFound, TenantNotFound, VersionMismatch, *_WRITE_PROBLEMS),
)
async def update_product(
    product_id: uuid.UUID,
    body: ProductUpdate,
    db: TenantSession,
    staff: ProductsWrite,
    if_match: IfMatch,
    response: Response,
) -> ProductRead:
    """Change the given fields. With `If-Match`, refuses (412) if the product changed since that version."""
    product = await catalog_service.update_product(db, product_id, body, if_match=if_match, actor=staff)
    tag(response, product)
    return product


@router.delete(
    "/{product_id}",
    status_code=204,
    operation_id="products_delete",
    responses=problems(ProductNotFound, TenantNotFound),
)
async def delete_product(product_id: uuid.UUID, db: TenantSession, staff: ProductsWrite) -> Response:
    """Delete the product with its variants, prices and media (set `status: archived` to only hide it)."""
    await catalog_service.delete_product(db, product_id, actor=staff)
    return Response(status_code=204)


@router.get(
    "/{product_id}/variants",
    response_model=list[VariantRead],
    operation_id="variants_list",
    responses=problems(ProductNotFound, TenantNotFound),
)
async def list_variants(product_id: uuid.UUID, db: TenantSession, staff: ProductsRead) -> list[VariantRead]:
    """The product's variants in order (at most 100)."""
    return await catalog_service.list_variants(db, product_id)


@router.post(
    "/{product_id}/variants",
    status_code=201,
    response_model=VariantRead,
    operation_id="variants_create",
    responses=problems(ProductNotFound, TenantNotFound, *_WRITE_PROBLEMS),
)
async def create_variant(
    product_id: uuid.UUID, body: VariantCreate, db: TenantSession, staff: ProductsWrite, response: Response
) -> VariantRead:
    variant = await catalog_service.create_variant(db, product_id, body, actor=staff)
    tag(response, variant)
    return variant


@router.get(
    "/{product_id}/variants/{variant_id}",
    response_model=VariantRead,
    operation_id="variants_get",
    responses=problems(ProductNotFound, VariantNotFound, TenantNotFound),
)
async def get_variant(
    product_id: uuid.UUID, variant_id: uuid.UUID, db: TenantSession, staff: ProductsRead, response: Response
) -> VariantRead:
    variant = await catalog_service.get_variant(db, product_id, variant_id)
    tag(response, variant)
    return variant


@router.patch(
    "/{product_id}/variants/{variant_id}",
    response_model=VariantRead,
    operation_id="variants_update",
    responses=problems(ProductNotFound, VariantNotFound, TenantNotFound, VersionMismatch, *_WRITE_PROBLEMS),
)
async def update_variant(
    product_id: uuid.UUID,
    variant_id: uuid.UUID,
    body: VariantUpdate,
    db: TenantSession,
    staff: ProductsWrite,
    if_match: IfMatch,
    response: Response,
) -> VariantRead:
    """Change the given fields (`prices` replaces every price). `If-Match` carries the variant's version."""
    variant = await catalog_service.update_variant(db, product_id, variant_id, body, if_match=if_match, actor=staff)
    tag(response, variant)
    return variant


@router.delete(
    "/{product_id}/variants/{variant_id}",
    status_code=204,
    operation_id="variants_delete",
    responses=problems(ProductNotFound, VariantNotFound, TenantNotFound),
)
async def delete_variant(
    product_id: uuid.UUID, variant_id: uuid.UUID, db: TenantSession, staff: ProductsWrite
) -> Response:
    await catalog_service.delete_variant(db, product_id, variant_id, actor=staff)
    return Response(status_code=204)
