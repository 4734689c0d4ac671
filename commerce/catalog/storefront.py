"""What a storefront may read of the catalog: active products and the collections, as ready JSON.

The repository returns each product's JSON as PostgreSQL built it; this module only joins a page of them
into the list envelope, so a storefront read costs one statement and no Python (de)serialisation.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.catalog import storefront_repository as repository
from commerce.catalog.errors import CollectionNotFound, ProductNotFound
from core.errors import InvalidCursor


def _cursor(starting_after: str | None) -> uuid.UUID | None:
    if starting_after is None:
        return None
    try:
        return uuid.UUID(starting_after)
    except ValueError as exc:
        raise InvalidCursor() from exc


def _page(rows: list[str], limit: int) -> bytes:
    has_more = len(rows) > limit
    data = ",".join(rows[:limit])
    return f'{{"object":"list","data":[{data}],"has_more":{"true" if has_more else "false"}}}'.encode()


async def list_products(
    db: AsyncSession,
    *,
    limit: int,
    starting_after: str | None = None,
    currency: str | None = None,
    collection: str | None = None,
    tag: str | None = None,
    q: str | None = None,
) -> bytes:
    """Active products, oldest first (in the collection's order with ``collection``, best match first with ``q``),
    each variant priced in ``currency`` (default: the shop's currency). The JSON of a ``StorefrontProductList``."""
    after = _cursor(starting_after)
    rows = await repository.product_page(
        db, currency=currency, limit=limit, after=after, collection_handle=collection, tag=tag, q=q
    )
    # An empty page after a cursor: tell a cursor that names no active product apart.
    if not rows and after is not None and not await repository.is_active_product(db, after):
        raise InvalidCursor()
    return _page(rows, limit)


async def list_collection_products(
    db: AsyncSession, handle: str, *, limit: int, starting_after: str | None, currency: str | None
) -> bytes:
    page = await list_products(db, limit=limit, starting_after=starting_after, currency=currency, collection=handle)
    if page.startswith(b'{"object":"list","data":[]') and not await repository.collection_exists(db, handle):
        raise CollectionNotFound()
    return page


async def get_product(db: AsyncSession, handle: str, *, currency: str | None) -> bytes:
    found = await repository.product_by_handle(db, handle, currency=currency)
    if found is None:
        raise ProductNotFound()
    return found.encode()


async def list_collections(db: AsyncSession, *, limit: int, starting_after: str | None) -> bytes:
    after = _cursor(starting_after)
    rows = await repository.collection_page(db, limit=limit, after=after)
    if not rows and after is not None and not await repository.collection_id_exists(db, after):
        raise InvalidCursor()
    return _page(rows, limit)
