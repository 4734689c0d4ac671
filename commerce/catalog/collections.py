"""Manual collections: products the merchant puts in an order of their choosing.

Membership changes are changes of the collection: each bumps its version and records one
``collection.updated`` event whose snapshot carries the ordered ``product_ids``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.catalog import repository
from commerce.catalog.errors import CollectionNotFound, ProductNotInCollection, UnknownProducts
from commerce.catalog.models import Collection
from commerce.catalog.schemas import (
    CollectionCreate,
    CollectionList,
    CollectionProductsAdd,
    CollectionProductsSet,
    CollectionRead,
    CollectionUpdate,
    ProductList,
)
from commerce.catalog.service import claim_handle, flush, product_read
from commerce.events import service as events_service
from core.clock import utcnow
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import cursor_row, split_page


def collection_read(collection: Collection, products_count: int) -> CollectionRead:
    return CollectionRead.model_validate({**_fields(collection), "products_count": products_count})


def _fields(collection: Collection) -> dict[str, Any]:
    return {
        name: getattr(collection, name)
        for name in (
            "id",
            "handle",
            "title",
            "description",
            "seo_title",
            "seo_description",
            "version",
            "created_at",
            "updated_at",
        )
    }


async def _record(
    db: AsyncSession, type_: str, collection: Collection, read: CollectionRead, actor: Principal | None
) -> None:
    data = read.model_dump(mode="json")
    data["product_ids"] = [str(product_id) for product_id in await repository.member_ids(db, collection.id)]
    await events_service.record(
        db, type=type_, resource_id=collection.id, version=collection.version, data=data, actor=actor
    )


async def _collection(
    db: AsyncSession, collection_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Collection, int]:
    found = await repository.get_collection(db, collection_id, for_update=for_update)
    if found is None:
        raise CollectionNotFound()
    return found


async def get_collection(db: AsyncSession, collection_id: uuid.UUID) -> CollectionRead:
    return collection_read(*await _collection(db, collection_id))


async def list_collections(db: AsyncSession, *, limit: int, starting_after: str | None) -> CollectionList:
    after = await cursor_row(starting_after, lambda collection_id: repository.collection_cursor(db, collection_id))
    rows, has_more = split_page(await repository.list_collections(db, limit=limit, after=after), limit)
    return CollectionList(data=[collection_read(collection, count) for collection, count in rows], has_more=has_more)


async def create_collection(db: AsyncSession, body: CollectionCreate, *, actor: Principal | None) -> CollectionRead:
    handle = await claim_handle(db, Collection, body.handle, body.title, current=None)
    collection = Collection(
        handle=handle,
        title=body.title,
        description=body.description,
        seo_title=body.seo_title,
        seo_description=body.seo_description,
    )
    db.add(collection)
    await flush(db)
    read = collection_read(collection, 0)
    await _record(db, "collection.created", collection, read, actor)
    return read


async def update_collection(
    db: AsyncSession, collection_id: uuid.UUID, body: CollectionUpdate, *, if_match: int | None, actor: Principal | None
) -> CollectionRead:
    collection, count = await _collection(db, collection_id, for_update=True)
    if if_match is not None and collection.version != if_match:
        raise VersionMismatch(current_version=collection.version)
    if body.handle is not None:
        collection.handle = await claim_handle(db, Collection, body.handle, collection.title, current=collection.handle)
    for field, value in body.model_dump(exclude_unset=True, exclude={"handle"}).items():
        setattr(collection, field, value)
    collection.updated_at = utcnow()
    await flush(db)
    read = collection_read(collection, count)
    await _record(db, "collection.updated", collection, read, actor)
    return read


async def delete_collection(db: AsyncSession, collection_id: uuid.UUID, *, actor: Principal | None) -> None:
    """Delete the collection (its products stay); records ``collection.deleted`` with its last snapshot."""
    collection, count = await _collection(db, collection_id, for_update=True)
    read = collection_read(collection, count)
    data = read.model_dump(mode="json")
    data["product_ids"] = [str(product_id) for product_id in await repository.member_ids(db, collection.id)]
    await db.delete(collection)
    await flush(db)
    await events_service.record(
        db, type="collection.deleted", resource_id=collection_id, version=read.version, data=data, actor=actor
    )


async def list_collection_products(
    db: AsyncSession, collection_id: uuid.UUID, *, limit: int, starting_after: str | None
) -> ProductList:
    """The collection's products in the merchant's order, a page at a time."""
    await _collection(db, collection_id)
    after: uuid.UUID | None = None
    if starting_after is not None:
        try:
            after = uuid.UUID(starting_after)
        except ValueError as exc:
            raise InvalidCursor() from exc
    ids = await repository.member_page(db, collection_id, limit=limit, after=after)
    if ids is None:
        raise InvalidCursor()
    page, has_more = split_page(ids, limit)
    products = await repository.get_products(db, page)
    return ProductList(data=[product_read(product) for product in products], has_more=has_more)


async def _set_members(
    db: AsyncSession, collection: Collection, product_ids: Sequence[uuid.UUID], actor: Principal | None
) -> CollectionRead:
    existing = await repository.existing_product_ids(db, product_ids) if product_ids else set()
    missing = [product_id for product_id in product_ids if product_id not in existing]
    if missing:
        raise UnknownProducts(product_ids=[str(product_id) for product_id in missing])
    await repository.replace_members(db, collection.id, product_ids)
    collection.updated_at = utcnow()
    await flush(db)
    read = collection_read(collection, len(product_ids))
    await _record(db, "collection.updated", collection, read, actor)
    return read


async def add_products(
    db: AsyncSession,
    collection_id: uuid.UUID,
    body: CollectionProductsAdd,
    *,
    if_match: int | None,
    actor: Principal | None,
) -> CollectionRead:
    """Insert products (at ``position`` or at the end); products already in it move to the new place."""
    collection, _ = await _collection(db, collection_id, for_update=True)
    if if_match is not None and collection.version != if_match:
        raise VersionMismatch(current_version=collection.version)
    moving = set(body.product_ids)
    members = [product_id for product_id in await repository.member_ids(db, collection_id) if product_id not in moving]
    at = len(members) if body.position is None else min(body.position - 1, len(members))
    return await _set_members(db, collection, [*members[:at], *body.product_ids, *members[at:]], actor)


async def set_products(
    db: AsyncSession,
    collection_id: uuid.UUID,
    body: CollectionProductsSet,
    *,
    if_match: int | None,
    actor: Principal | None,
) -> CollectionRead:
    """Make ``product_ids`` the whole membership, in that order."""
    collection, _ = await _collection(db, collection_id, for_update=True)
    if if_match is not None and collection.version != if_match:
        raise VersionMismatch(current_version=collection.version)
    return await _set_members(db, collection, body.product_ids, actor)


async def remove_product(
    db: AsyncSession, collection_id: uuid.UUID, product_id: uuid.UUID, *, actor: Principal | None
) -> CollectionRead:
    collection, _ = await _collection(db, collection_id, for_update=True)
    members = await repository.member_ids(db, collection_id)
    if product_id not in members:
        raise ProductNotInCollection()
    return await _set_members(db, collection, [member for member in members if member != product_id], actor)
