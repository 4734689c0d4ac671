"""The public catalog for storefronts: active products and collections, with a publishable key or an OAuth token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import CatalogReader, TenantRead
from api.idempotency import IdempotentRoute
from api.problems import problems
from commerce.catalog import storefront as storefront_service
from commerce.catalog.errors import CollectionNotFound, InvalidSearchQuery, ProductNotFound
from commerce.catalog.schemas import StorefrontCollectionList, StorefrontProduct, StorefrontProductList
from core.errors import InvalidCursor
from core.money import CurrencyCode
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, tags=["storefront: catalog"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
StartingAfter = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]
Currency = Annotated[
    CurrencyCode | None, Query(description="ISO 4217 code of the prices to show (default: the shop's currency).")
]
HandlePath = Annotated[Text, Path(max_length=255)]


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.get(
    "/products",
    operation_id="storefront_products_list",
    responses={200: {"model": StorefrontProductList}, **problems(InvalidCursor, InvalidSearchQuery)},
)
async def list_storefront_products(
    reader: TenantRead,
    credential: CatalogReader,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    currency: Currency = None,
    collection: Annotated[Text | None, Query(max_length=255, description="A collection's handle.")] = None,
    tag: Annotated[Text | None, Query(max_length=255)] = None,
    q: Annotated[Text | None, Query(max_length=200, description="Words to search; each matches as a prefix.")] = None,
) -> Response:
    """Active products, oldest first; in the collection's order with `collection`; best match first with `q`."""
    return _json(
        await storefront_service.list_products(
            reader, limit=limit, starting_after=starting_after, currency=currency, collection=collection, tag=tag, q=q
        )
    )


@router.get(
    "/products/{handle}",
    operation_id="storefront_products_get",
    responses={200: {"model": StorefrontProduct}, **problems(ProductNotFound, TenantNotFound)},
)
async def get_storefront_product(
    handle: HandlePath, reader: TenantRead, credential: CatalogReader, currency: Currency = None
) -> Response:
    """An active product by its handle."""
    return _json(await storefront_service.get_product(reader, handle, currency=currency))


@router.get(
    "/collections",
    operation_id="storefront_collections_list",
    responses={200: {"model": StorefrontCollectionList}, **problems(InvalidCursor)},
)
async def list_storefront_collections(
    reader: TenantRead, credential: CatalogReader, limit: Limit = DEFAULT_LIMIT, starting_after: StartingAfter = None
) -> Response:
    """The shop's collections, oldest first."""
    return _json(await storefront_service.list_collections(reader, limit=limit, starting_after=starting_after))


@router.get(
    "/collections/{handle}/products",
    operation_id="storefront_collection_products_list",
    responses={200: {"model": StorefrontProductList}, **problems(CollectionNotFound, TenantNotFound, InvalidCursor)},
)
async def list_storefront_collection_products(
    handle: HandlePath,
    reader: TenantRead,
    credential: CatalogReader,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    currency: Currency = None,
) -> Response:
    """The collection's active products in the merchant's order."""
    return _json(
        await storefront_service.list_collection_products(
            reader, handle, limit=limit, starting_after=starting_after, currency=currency
        )
    )
