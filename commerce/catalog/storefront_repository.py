"""The storefront's catalog reads: lean Core queries on the hot path.

Each read is one statement, through the request's ``TenantReader`` (no transaction: one round trip), built
once per shape with its values bound at execution. PostgreSQL builds every product's JSON (variants with the price of the requested
currency, options, media) with ``json_build_object`` / ``json_agg`` and returns it as text, which the API sends
as it is. No ORM objects, no second query per product, no JSON parsed and re-serialised in Python.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, array
from sqlalchemy.orm import InstrumentedAttribute

from commerce.catalog.models import (
    Collection,
    CollectionProduct,
    Product,
    ProductMedia,
    ProductOption,
    ProductStatus,
    Variant,
    VariantPrice,
)
from commerce.catalog.repository import search_rank, to_tsquery, tsquery_text
from commerce.inventory import repository as inventory_repository
from commerce.shop.models import ShopSettings
from core.db import TenantReader

_EMPTY: ColumnElement[Any] = literal_column("'[]'::json")


def available_for_sale() -> ColumnElement[bool]:
    """Whether a shopper may buy the variant (``commerce.inventory``: untracked, backorder, or in stock)."""
    return inventory_repository.sellable()


def _money(amount: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    return case(
        (amount.is_(None), null()),
        else_=func.json_build_object("amount", amount, "currency", VariantPrice.currency),
    )


def _currency() -> ColumnElement[str]:
    """The requested currency (bound as ``currency``), else the shop's default, in the same statement."""
    default = select(ShopSettings.default_currency).where(ShopSettings.id == 1).scalar_subquery()
    return func.coalesce(bindparam("currency", type_=Text), default)


def _product_json(currency: ColumnElement[str]) -> ColumnElement[str]:
    variant = func.json_build_object(
        "id",
        Variant.id,
        "title",
        Variant.title,
        "sku",
        Variant.sku,
        "option_values",
        func.array_remove(array([Variant.option1, Variant.option2, Variant.option3]), None),
        "price",
        _money(VariantPrice.amount),
        "compare_at_price",
        _money(VariantPrice.compare_at_amount),
        "available_for_sale",
        available_for_sale(),
        "quantity_available",
        inventory_repository.shown_quantity(),
    )
    variants = (
        select(func.coalesce(func.json_agg(aggregate_order_by(variant, Variant.position, Variant.id)), _EMPTY))
        .select_from(Variant)
        .outerjoin(VariantPrice, and_(VariantPrice.variant_id == Variant.id, VariantPrice.currency == currency))
        .where(Variant.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    options = (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        func.json_build_object("name", ProductOption.name, "values", ProductOption.values),
                        ProductOption.position,
                    )
                ),
                _EMPTY,
            )
        )
        .where(ProductOption.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    media = (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        func.json_build_object(
                            "id",
                            ProductMedia.id,
                            "url",
                            ProductMedia.url,
                            "alt_text",
                            ProductMedia.alt_text,
                            "position",
                            ProductMedia.position,
                        ),
                        ProductMedia.position,
                    )
                ),
                _EMPTY,
            )
        )
        .where(ProductMedia.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    return cast(
        func.json_build_object(
            "object",
            "product",
            "id",
            Product.id,
            "handle",
            Product.handle,
            "title",
            Product.title,
            "description",
            Product.description,
            "vendor",
            Product.vendor,
            "product_type",
            Product.product_type,
            "tags",
            Product.tags,
            "options",
            options,
            "media",
            media,
            "seo_title",
            Product.seo_title,
            "seo_description",
            Product.seo_description,
            "variants",
            variants,
        ),
        Text,
    )


@functools.cache
def _product_page_statement(*, collection: bool, tag: bool, search: bool, after: bool) -> Select[Any]:
    """The statement of one shape of product page, built once per process: values are bound at execution."""
    query = select(_product_json(_currency()).label("body")).where(Product.status == ProductStatus.ACTIVE)
    cursor = bindparam("after", type_=Uuid)
    if tag:
        query = query.where(Product.tags.contains(array([bindparam("tag", type_=Text)])))
    tsquery = to_tsquery(bindparam("tsquery", type_=Text))
    if search:
        query = query.where(Product.search_vector.op("@@")(tsquery))
    if collection:
        collection_id = select(Collection.id).where(Collection.handle == bindparam("collection")).scalar_subquery()
        query = query.join(CollectionProduct, CollectionProduct.product_id == Product.id).where(
            CollectionProduct.collection_id == collection_id
        )
        if after:
            position = (
                select(CollectionProduct.position)
                .where(CollectionProduct.collection_id == collection_id, CollectionProduct.product_id == cursor)
                .scalar_subquery()
            )
            query = query.where(tuple_(CollectionProduct.position, Product.id) > tuple_(position, cursor))
        query = query.order_by(CollectionProduct.position, Product.id)
    elif search:
        rank = search_rank(tsquery)
        if after:
            cursor_rank = select(rank).where(Product.id == cursor).scalar_subquery()
            query = query.where(or_(rank < cursor_rank, and_(rank == cursor_rank, Product.id > cursor)))
        query = query.order_by(rank.desc(), Product.id)
    else:
        if after:
            created = select(Product.created_at).where(Product.id == cursor).scalar_subquery()
            query = query.where(tuple_(Product.created_at, Product.id) > tuple_(created, cursor))
        query = query.order_by(Product.created_at, Product.id)
    return query.limit(bindparam("limit", type_=Integer))


async def product_page(
    reader: TenantReader,
    *,
    currency: str | None,
    limit: int,
    after: uuid.UUID | None,
    collection_handle: str | None = None,
    tag: str | None = None,
    q: str | None = None,
) -> list[str]:
    """One page (``limit + 1`` rows) of active products as JSON texts, in one statement.

    Order: the collection's order with ``collection_handle``; best match first with ``q``; else oldest first.
    A cursor naming a product outside the result yields an empty page (the caller tells why).
    """
    statement = _product_page_statement(
        collection=collection_handle is not None, tag=tag is not None, search=q is not None, after=after is not None
    )
    params = {
        "currency": currency,
        "limit": limit + 1,
        "after": after,
        "collection": collection_handle,
        "tag": tag,
        "tsquery": tsquery_text(q) if q is not None else None,
    }
    return [row["body"] for row in await reader.all(statement, params)]


_PRODUCT_BY_HANDLE = select(_product_json(_currency()).label("body")).where(
    Product.handle == bindparam("handle"), Product.status == ProductStatus.ACTIVE
)


async def product_by_handle(reader: TenantReader, handle: str, *, currency: str | None) -> str | None:
    """The active product with this handle, as JSON text."""
    row = await reader.one_or_none(_PRODUCT_BY_HANDLE, {"handle": handle, "currency": currency})
    return None if row is None else str(row["body"])


async def is_active_product(reader: TenantReader, product_id: uuid.UUID) -> bool:
    statement = select(Product.id).where(Product.id == product_id, Product.status == ProductStatus.ACTIVE)
    return await reader.one_or_none(statement) is not None


async def collection_exists(reader: TenantReader, handle: str) -> bool:
    return await reader.one_or_none(select(Collection.id).where(Collection.handle == handle)) is not None


def _collection_json() -> ColumnElement[str]:
    return cast(
        func.json_build_object(
            "object",
            "collection",
            "id",
            Collection.id,
            "handle",
            Collection.handle,
            "title",
            Collection.title,
            "description",
            Collection.description,
            "seo_title",
            Collection.seo_title,
            "seo_description",
            Collection.seo_description,
        ),
        Text,
    )


_COLLECTION_CURSOR = bindparam("after", type_=Uuid)
_COLLECTION_PAGES = {
    after: (
        select(_collection_json().label("body"))
        .where(
            tuple_(Collection.created_at, Collection.id)
            > tuple_(
                select(Collection.created_at).where(Collection.id == _COLLECTION_CURSOR).scalar_subquery(),
                _COLLECTION_CURSOR,
            )
            if after
            else true()
        )
        .order_by(Collection.created_at, Collection.id)
        .limit(bindparam("limit", type_=Integer))
    )
    for after in (False, True)
}


async def collection_page(reader: TenantReader, *, limit: int, after: uuid.UUID | None) -> list[str]:
    rows = await reader.all(_COLLECTION_PAGES[after is not None], {"limit": limit + 1, "after": after})
    return [row["body"] for row in rows]


async def collection_id_exists(reader: TenantReader, collection_id: uuid.UUID) -> bool:
    return await reader.one_or_none(select(Collection.id).where(Collection.id == collection_id)) is not None
