"""Catalog queries of the admin API and the import (the storefront's lean reads are in ``storefront_repository``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from commerce.catalog.errors import InvalidSearchQuery
from commerce.catalog.models import (
    Collection,
    CollectionProduct,
    Product,
    ProductImport,
    Variant,
)
from commerce.catalog.schemas import ProductFilters, ProductSort

MAX_QUERY_WORDS = 10
_WORD = re.compile(r"\w+")


# --- search ---------------------------------------------------------------------------------------------------------


def tsquery_text(q: str) -> str:
    """A shopper's or merchant's words as a tsquery of prefixes: ``blu sh`` -> ``blu:* & sh:*``.

    Only word characters are kept, so no input can inject tsquery syntax.
    """
    words = _WORD.findall(q.lower())[:MAX_QUERY_WORDS]
    if not words:
        raise InvalidSearchQuery()
    return " & ".join(f"{word}:*" for word in words)


def to_tsquery(query: ColumnElement[str]) -> ColumnElement[Any]:
    return func.to_tsquery(text("'simple'::regconfig"), query)


def search_query(q: str) -> ColumnElement[Any]:
    return to_tsquery(literal(tsquery_text(q), type_=Text))


def search_rank(query: ColumnElement[Any]) -> ColumnElement[float]:
    """Rank by cover density, title words first (weights A..D from the search vector)."""
    return func.ts_rank_cd(Product.search_vector, query)


async def refresh_search_terms(db: AsyncSession, product_ids: Sequence[uuid.UUID]) -> None:
    """Recompute the searchable words kept beside the title (tags, type, SKUs, barcodes) in one statement.

    A Core UPDATE on purpose: it changes neither the product's version nor ``updated_at`` (it is not an edit).
    """
    if not product_ids:
        return
    # A SKU also as its parts: PostgreSQL's parser reads "MUG-1" as "mug" and the number "-1", never "1".
    parts = func.regexp_replace(Variant.sku, "[^[:alnum:]]+", " ", "g")
    skus = (
        select(func.string_agg(func.concat_ws(" ", Variant.sku, parts, Variant.barcode), " "))
        .where(Variant.product_id == Product.id)
        .scalar_subquery()
    )
    terms = func.concat_ws(" ", func.array_to_string(Product.tags, " "), Product.product_type, skus)
    await db.execute(
        update(Product)
        .where(Product.id.in_(product_ids))
        .values(search_terms=terms, updated_at=Product.updated_at)  # not ``onupdate``: this is no edit
        .execution_options(synchronize_session=False)
    )


# --- products -------------------------------------------------------------------------------------------------------


def _with_children(query: Select[Product]) -> Select[Product]:
    return query.options(
        selectinload(Product.options),
        selectinload(Product.media),
        selectinload(Product.variants).selectinload(Variant.prices),
    )


async def get_product(db: AsyncSession, product_id: uuid.UUID, *, for_update: bool = False) -> Product | None:
    query = _with_children(select(Product).where(Product.id == product_id))
    if for_update:
        query = query.with_for_update(of=Product)
    product: Product | None = await db.scalar(query.execution_options(populate_existing=True))
    return product


async def get_products(db: AsyncSession, product_ids: Sequence[uuid.UUID]) -> list[Product]:
    """The products with their children, in the order of ``product_ids``."""
    if not product_ids:
        return []
    rows = await db.scalars(_with_children(select(Product).where(Product.id.in_(product_ids))))
    by_id = {product.id: product for product in rows}
    return [by_id[product_id] for product_id in product_ids if product_id in by_id]


async def existing_product_ids(db: AsyncSession, product_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await db.scalars(select(Product.id).where(Product.id.in_(product_ids)))
    return set(rows)


async def handles_taken(db: AsyncSession, model: type[Product] | type[Collection], base: str) -> set[str]:
    """The handles of ``model`` equal to ``base`` or ``base-<n>`` (to pick a free generated handle)."""
    pattern = re.escape(base) + r"(-[0-9]+)?"
    rows = await db.scalars(select(model.handle).where(model.handle.regexp_match(f"^{pattern}$")))
    return set(rows)


async def all_handles(db: AsyncSession) -> set[str]:
    return set(await db.scalars(select(Product.handle)))


async def get_handles(db: AsyncSession, handles: Sequence[str]) -> dict[str, uuid.UUID]:
    rows = await db.execute(select(Product.handle, Product.id).where(Product.handle.in_(handles)))
    return {handle: product_id for handle, product_id in rows}


async def sku_owners(db: AsyncSession, skus: Sequence[str]) -> dict[str, uuid.UUID]:
    """``sku -> variant id`` for those of ``skus`` already taken."""
    if not skus:
        return {}
    rows = await db.execute(select(Variant.sku, Variant.id).where(Variant.sku.in_(skus)))
    return {sku: variant_id for sku, variant_id in rows if sku is not None}


async def sku_products(db: AsyncSession, skus: Sequence[str]) -> dict[str, uuid.UUID]:
    """``sku -> product id`` for those of ``skus`` already taken."""
    if not skus:
        return {}
    rows = await db.execute(select(Variant.sku, Variant.product_id).where(Variant.sku.in_(skus)))
    return {sku: product_id for sku, product_id in rows if sku is not None}


def _sort_key(sort: ProductSort, rank: ColumnElement[float] | None) -> ColumnElement[Any]:
    if sort.field == "relevance":
        assert rank is not None  # the service only sorts by relevance with a query
        return rank
    column: ColumnElement[Any] = getattr(Product, sort.field)
    return column


async def cursor_key(
    db: AsyncSession, product_id: uuid.UUID, sort: ProductSort, rank: ColumnElement[float] | None
) -> tuple[Any, uuid.UUID] | None:
    """The sort key of the product a page starts after (None if it does not exist)."""
    row = (await db.execute(select(_sort_key(sort, rank), Product.id).where(Product.id == product_id))).first()
    return (row[0], row[1]) if row is not None else None


async def list_product_ids(
    db: AsyncSession,
    filters: ProductFilters,
    sort: ProductSort,
    *,
    limit: int,
    after: tuple[Any, uuid.UUID] | None,
) -> list[uuid.UUID]:
    """Ids of one page of products matching ``filters``, in ``sort`` order then by id (``limit + 1`` rows)."""
    query = select(Product.id)
    rank: ColumnElement[float] | None = None
    if filters.q is not None:
        tsquery = search_query(filters.q)
        query = query.where(Product.search_vector.op("@@")(tsquery))
        rank = search_rank(tsquery)
    if filters.status is not None:
        query = query.where(Product.status == filters.status)
    if filters.vendor is not None:
        query = query.where(Product.vendor == filters.vendor)
    if filters.tag is not None:
        query = query.where(Product.tags.contains([filters.tag]))
    if filters.updated_after is not None:
        query = query.where(Product.updated_at > filters.updated_after)
    if filters.sku is not None:
        query = query.where(Product.id.in_(select(Variant.product_id).where(Variant.sku == filters.sku)))
    if filters.collection_id is not None:
        members = select(CollectionProduct.product_id).where(CollectionProduct.collection_id == filters.collection_id)
        query = query.where(Product.id.in_(members))
    key = _sort_key(sort, rank)
    # Relevance is best first and ties go by id ascending; the other sorts run both columns the same way.
    descending = sort.descending or sort.field == "relevance"
    tie_descending = sort.descending and sort.field != "relevance"
    if after is not None:
        after_key, after_id = after
        if sort.field == "relevance":
            query = query.where(or_(key < after_key, and_(key == after_key, Product.id > after_id)))
        elif descending:
            query = query.where(tuple_(key, Product.id) < tuple_(after_key, after_id))
        else:
            query = query.where(tuple_(key, Product.id) > tuple_(after_key, after_id))
    query = query.order_by(key.desc() if descending else key.asc(), Product.id.desc() if tie_descending else Product.id)
    return list(await db.scalars(query.limit(limit + 1)))


# --- collections ----------------------------------------------------------------------------------------------------


def _products_count() -> ColumnElement[int]:
    return (
        select(func.count())
        .where(CollectionProduct.collection_id == Collection.id)
        .correlate(Collection)
        .scalar_subquery()
    )


async def get_collection(
    db: AsyncSession, collection_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Collection, int] | None:
    if for_update:
        locked = await db.scalar(
            select(Collection)
            .where(Collection.id == collection_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if locked is None:
            return None
        return locked, await count_members(db, collection_id)
    row = (await db.execute(select(Collection, _products_count()).where(Collection.id == collection_id))).first()
    return (row[0], row[1]) if row is not None else None


async def list_collections(
    db: AsyncSession, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[tuple[Collection, int]]:
    query = select(Collection, _products_count())
    if after is not None:
        query = query.where(tuple_(Collection.created_at, Collection.id) > tuple_(*after))
    rows = await db.execute(query.order_by(Collection.created_at, Collection.id).limit(limit + 1))
    return [(row[0], row[1]) for row in rows]


async def collection_cursor(db: AsyncSession, collection_id: uuid.UUID) -> tuple[datetime, uuid.UUID] | None:
    row = (await db.execute(select(Collection.created_at, Collection.id).where(Collection.id == collection_id))).first()
    return (row[0], row[1]) if row is not None else None


async def count_members(db: AsyncSession, collection_id: uuid.UUID) -> int:
    return (
        await db.scalar(
            select(func.count()).select_from(CollectionProduct).where(CollectionProduct.collection_id == collection_id)
        )
        or 0
    )


async def member_ids(db: AsyncSession, collection_id: uuid.UUID) -> list[uuid.UUID]:
    """The collection's products in order."""
    rows = await db.scalars(
        select(CollectionProduct.product_id)
        .where(CollectionProduct.collection_id == collection_id)
        .order_by(CollectionProduct.position, CollectionProduct.product_id)
    )
    return list(rows)


async def member_page(
    db: AsyncSession, collection_id: uuid.UUID, *, limit: int, after: uuid.UUID | None
) -> list[uuid.UUID] | None:
    """One page of the collection's product ids in order; None if ``after`` is not a member."""
    query = select(CollectionProduct.product_id).where(CollectionProduct.collection_id == collection_id)
    if after is not None:
        position = await db.scalar(
            select(CollectionProduct.position).where(
                CollectionProduct.collection_id == collection_id, CollectionProduct.product_id == after
            )
        )
        if position is None:
            return None
        query = query.where(tuple_(CollectionProduct.position, CollectionProduct.product_id) > tuple_(position, after))
    rows = await db.scalars(query.order_by(CollectionProduct.position, CollectionProduct.product_id).limit(limit + 1))
    return list(rows)


async def replace_members(db: AsyncSession, collection_id: uuid.UUID, product_ids: Sequence[uuid.UUID]) -> None:
    """Make ``product_ids`` the collection's members, positions 1..n in that order."""
    await db.execute(delete(CollectionProduct).where(CollectionProduct.collection_id == collection_id))
    if product_ids:
        await db.execute(
            insert(CollectionProduct),
            [
                {"collection_id": collection_id, "product_id": product_id, "position": index}
                for index, product_id in enumerate(product_ids, start=1)
            ],
        )


async def remove_member(db: AsyncSession, collection_id: uuid.UUID, product_id: uuid.UUID) -> bool:
    result = await db.execute(
        delete(CollectionProduct).where(
            CollectionProduct.collection_id == collection_id, CollectionProduct.product_id == product_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


# --- bulk writes (imports) ---------------------------------------------------------------------------------------

# The PostgreSQL type of each column kind, for COPY's binary-safe encoding of arrays, JSON and numbers.
_COPY_TYPES = {
    "ARRAY": "text[]",
    "JSONB": "jsonb",
    "Uuid": "uuid",
    "BigInteger": "int8",
    "Integer": "int4",
    "SmallInteger": "int2",
    "Boolean": "bool",
    "Numeric": "numeric",
    "DateTime": "timestamptz",
}


async def copy_rows(db: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (a value for every column but the generated ones) with COPY, in the session's transaction.

    Many times faster than INSERTs for thousands of rows: one stream, no statement text to build or parse.
    """
    if not rows:
        return
    columns = [column for column in model.__table__.columns if column.computed is None]
    names = ", ".join(f'"{column.name}"' for column in columns)
    connection = await db.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    async with driver.cursor() as cursor, cursor.copy(f'COPY "{model.__tablename__}" ({names}) FROM STDIN') as copy:
        copy.set_types([_COPY_TYPES.get(type(column.type).__name__, "text") for column in columns])
        for row in rows:
            await copy.write_row([row[column.name] for column in columns])


# --- imports --------------------------------------------------------------------------------------------------------


async def get_import(db: AsyncSession, import_id: uuid.UUID, *, for_update: bool = False) -> ProductImport | None:
    query = select(ProductImport).where(ProductImport.id == import_id)
    if for_update:
        query = query.with_for_update()
    found: ProductImport | None = await db.scalar(query.execution_options(populate_existing=True))
    return found


async def get_import_by_key(db: AsyncSession, idempotency_key: str) -> ProductImport | None:
    found: ProductImport | None = await db.scalar(
        select(ProductImport).where(ProductImport.idempotency_key == idempotency_key)
    )
    return found
