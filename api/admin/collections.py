"""Manual collections and their ordered products (scopes ``products:read`` / ``products:write``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import IfMatch, ProductsRead, ProductsWrite, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.catalog import collections as collections_service
from commerce.catalog.errors import (
    CollectionNotFound,
    HandleAlreadyExists,
    ProductNotInCollection,
    UnknownProducts,
)
from commerce.catalog.schemas import (
    CollectionCreate,
    CollectionList,
    CollectionProductsAdd,
    CollectionProductsSet,
    CollectionRead,
    CollectionUpdate,
    ProductList,
)
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/collections", tags=["admin: collections"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
StartingAfter = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]


@router.get("", response_model=CollectionList, operation_id="collections_list", responses=problems(InvalidCursor))
async def list_collections(
    db: TenantSession, staff: ProductsRead, limit: Limit = DEFAULT_LIMIT, starting_after: StartingAfter = None
) -> CollectionList:
    """Collections, oldest first."""
    return await collections_service.list_collections(db, limit=limit, starting_after=starting_after)


@router.post(
    "",
    status_code=201,
    response_model=CollectionRead,
    operation_id="collections_create",
    responses=problems(HandleAlreadyExists),
)
async def create_collection(
    body: CollectionCreate, db: TenantSession, staff: ProductsWrite, response: Response
) -> CollectionRead:
    collection = await collections_service.create_collection(db, body, actor=staff)
    tag(response, collection)
    return collection


@router.get(
    "/{collection_id}",
    response_model=CollectionRead,
    operation_id="collections_get",
    responses=problems(CollectionNotFound, TenantNotFound),
)
async def get_collection(
    collection_id: uuid.UUID, db: TenantSession, staff: ProductsRead, response: Response
) -> CollectionRead:
    collection = await collections_service.get_collection(db, collection_id)
    tag(response, collection)
    return collection


@router.patch(
    "/{collection_id}",
    response_model=CollectionRead,
    operation_id="collections_update",
    responses=problems(CollectionNotFound, TenantNotFound, VersionMismatch, HandleAlreadyExists),
)
async def update_collection(
    collection_id: uuid.UUID,
    body: CollectionUpdate,
    db: TenantSession,
    staff: ProductsWrite,
    if_match: IfMatch,
    response: Response,
) -> CollectionRead:
    collection = await collections_service.update_collection(db, collection_id, body, if_match=if_match, actor=staff)
    tag(response, collection)
    return collection


@router.delete(
    "/{collection_id}",
    status_code=204,
    operation_id="collections_delete",
    responses=problems(CollectionNotFound, TenantNotFound),
)
async def delete_collection(collection_id: uuid.UUID, db: TenantSession, staff: ProductsWrite) -> Response:
    """Delete the collection; its products stay."""
    await collections_service.delete_collection(db, collection_id, actor=staff)
    return Response(status_code=204)


@router.get(
    "/{collection_id}/products",
    response_model=ProductList,
    operation_id="collection_products_list",
    responses=problems(CollectionNotFound, TenantNotFound, InvalidCursor),
)
async def list_collection_products(
    collection_id: uuid.UUID,
    db: TenantSession,
    staff: ProductsRead,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
) -> ProductList:
    """The collection's products in their order."""
    return await collections_service.list_collection_products(
        db, collection_id, limit=limit, starting_after=starting_after
    )


@router.post(
    "/{collection_id}/products",
    response_model=CollectionRead,
    operation_id="collection_products_add",
    responses=problems(CollectionNotFound, TenantNotFound, UnknownProducts, VersionMismatch),
)
async def add_collection_products(
    collection_id: uuid.UUID,
    body: CollectionProductsAdd,
    db: TenantSession,
    staff: ProductsWrite,
    if_match: IfMatch,
    response: Response,
) -> CollectionRead:
    """Add products at the end (or at `position`); a product already in the collection moves there."""
    collection = await collections_service.add_products(db, collection_id, body, if_match=if_match, actor=staff)
    tag(response, collection)
    return collection


@router.put(
    "/{collection_id}/products",
    response_model=CollectionRead,
    operation_id="collection_products_set",
    responses=problems(CollectionNotFound, TenantNotFound, UnknownProducts, VersionMismatch),
)
async def set_collection_products(
    collection_id: uuid.UUID,
    body: CollectionProductsSet,
    db: TenantSession,
    staff: ProductsWrite,
    if_match: IfMatch,
    response: Response,
) -> CollectionRead:
    """Replace the membership with `product_ids`, in that order (reordering is this call)."""
    collection = await collections_service.set_products(db, collection_id, body, if_match=if_match, actor=staff)
    tag(response, collection)
    return collection


@router.delete(
    "/{collection_id}/products/{product_id}",
    response_model=CollectionRead,
    operation_id="collection_products_remove",
    responses=problems(CollectionNotFound, ProductNotInCollection, TenantNotFound),
)
async def remove_collection_product(
    collection_id: uuid.UUID, product_id: uuid.UUID, db: TenantSession, staff: ProductsWrite, response: Response
) -> CollectionRead:
    collection = await collections_service.remove_product(db, collection_id, product_id, actor=staff)
    tag(response, collection)
    return collection
