"""Products and their variants: the rules of the merchant's catalog.

* A handle is unique among the shop's products; without one, it is made from the title (``Blue Shirt`` ->
  ``blue-shirt``, then ``blue-shirt-2``...). A SKU is unique among the shop's variants when set.
* A product has at most three options; each variant has exactly one value per option, among that option's
  values, and no two variants of a product share the same values.
* Every change writes exactly one event (``product.created`` ...) in its own transaction, last.
* Deleting a product deletes its variants, prices, media and memberships; what must outlive it (order lines)
  keeps its own snapshot (see ``models``).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.catalog import repository
from commerce.catalog.errors import (
    HandleAlreadyExists,
    InvalidVariantOptions,
    ProductNotFound,
    SkuAlreadyExists,
    VariantNotFound,
    VariantOptionsTaken,
)
from commerce.catalog.models import (
    Collection,
    Product,
    ProductMedia,
    ProductOption,
    Variant,
    VariantPrice,
)
from commerce.catalog.schemas import (
    MediaRead,
    MediaWrite,
    OptionRead,
    OptionWrite,
    PriceRead,
    PriceWrite,
    ProductCreate,
    ProductFilters,
    ProductList,
    ProductRead,
    ProductSort,
    ProductUpdate,
    VariantCreate,
    VariantFields,
    VariantRead,
    VariantUpdate,
)
from commerce.events import service as events_service
from core.clock import utcnow
from core.errors import InvalidInput, VersionMismatch
from core.pagination import cursor_row, split_page

# A violated unique constraint (a concurrent writer won the race the pre-checks could not see) -> its problem.
_UNIQUE_PROBLEMS = {
    "uq_products_handle": HandleAlreadyExists,
    "uq_collections_handle": HandleAlreadyExists,
    "uq_variants_sku": SkuAlreadyExists,
    "uq_variants_product_id_option1_option2_option3": VariantOptionsTaken,
}


async def flush(db: AsyncSession) -> None:
    """Flush, turning a unique violation of the catalog into its 409 problem."""
    try:
        await db.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        problem = _UNIQUE_PROBLEMS.get(constraint or "")
        if isinstance(exc.orig, UniqueViolation) and problem is not None:
            raise problem() from exc
        raise


# --- handles --------------------------------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """``"Crème brûlée, 2 pack!"`` -> ``"creme-brulee-2-pack"`` (ASCII letters and digits, single hyphens)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_title).split()
    return "-".join(words)[:200].strip("-") or "item"


def pick_handle(base: str, taken: set[str]) -> str:
    """``base``, or the first ``base-<n>`` (n >= 2) not in ``taken``."""
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


async def free_handle(db: AsyncSession, model: type[Product] | type[Collection], title: str) -> str:
    base = slugify(title)
    return pick_handle(base, await repository.handles_taken(db, model, base))


async def claim_handle(
    db: AsyncSession, model: type[Product] | type[Collection], handle: str | None, title: str, *, current: str | None
) -> str:
    if handle is None:
        return await free_handle(db, model, title)
    if handle != current and handle in await repository.handles_taken(db, model, handle):
        raise HandleAlreadyExists(handle=handle)
    return handle


# --- reading --------------------------------------------------------------------------------------------------------


def price_read(price: VariantPrice) -> PriceRead:
    return PriceRead(amount=price.amount, currency=price.currency, compare_at_amount=price.compare_at_amount)


def variant_read(variant: Variant) -> VariantRead:
    return VariantRead(
        id=variant.id,
        product_id=variant.product_id,
        sku=variant.sku,
        title=variant.title,
        position=variant.position,
        option_values=variant.option_values,
        barcode=variant.barcode,
        weight=variant.weight,
        weight_unit=variant.weight_unit,
        requires_shipping=variant.requires_shipping,
        track_inventory=variant.track_inventory,
        allow_backorder=variant.allow_backorder,
        tax_class=variant.tax_class,
        prices=[price_read(price) for price in variant.prices],
        version=variant.version,
        created_at=variant.created_at,
        updated_at=variant.updated_at,
    )


def product_read(product: Product) -> ProductRead:
    return ProductRead(
        id=product.id,
        handle=product.handle,
        title=product.title,
        description=product.description,
        status=product.status,
        vendor=product.vendor,
        product_type=product.product_type,
        tags=list(product.tags),
        options=[OptionRead(name=option.name, values=list(option.values)) for option in product.options],
        variants=[variant_read(variant) for variant in product.variants],
        media=[
            MediaRead(id=media.id, url=media.url, alt_text=media.alt_text, position=media.position)
            for media in product.media
        ],
        metadata=dict(product.metadata_),
        seo_title=product.seo_title,
        seo_description=product.seo_description,
        version=product.version,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def snapshot(model: Any) -> dict[str, Any]:
    """An event's ``data``: the resource exactly as the admin API shows it."""
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


async def get_product(db: AsyncSession, product_id: uuid.UUID) -> ProductRead:
    return product_read(await _product(db, product_id))


def parse_sort(sort: str | None, *, searching: bool) -> ProductSort:
    """``created_at`` (default), ``updated_at``, ``title``, each with ``-`` for descending; ``relevance`` (the
    default with ``q``) ranks the best match first."""
    if sort is None:
        return ProductSort(field="relevance" if searching else "created_at", descending=False)
    field = sort.removeprefix("-")
    if field not in {"created_at", "updated_at", "title", "relevance"} or (field == "relevance" and sort != field):
        raise InvalidInput(errors=[{"loc": ["query", "sort"], "message": f"unknown sort {sort!r}", "type": "sort"}])
    if field == "relevance" and not searching:
        raise InvalidInput(errors=[{"loc": ["query", "sort"], "message": "relevance needs q", "type": "sort"}])
    return ProductSort.model_validate({"field": field, "descending": sort.startswith("-")})


async def list_products(
    db: AsyncSession, filters: ProductFilters, *, sort: str | None, limit: int, starting_after: str | None
) -> ProductList:
    """A page of products matching every filter given, in ``sort`` order (ties by id)."""
    order = parse_sort(sort, searching=filters.q is not None)
    rank = repository.search_rank(repository.search_query(filters.q)) if filters.q is not None else None
    after = await cursor_row(starting_after, lambda product_id: repository.cursor_key(db, product_id, order, rank))
    ids = await repository.list_product_ids(db, filters, order, limit=limit, after=after)
    page, has_more = split_page(ids, limit)
    products = await repository.get_products(db, page)
    return ProductList(data=[product_read(product) for product in products], has_more=has_more)


# --- products -------------------------------------------------------------------------------------------------------


def option_rows(options: Sequence[OptionWrite]) -> list[ProductOption]:
    return [
        ProductOption(position=position, name=option.name, values=list(option.values))
        for position, option in enumerate(options, start=1)
    ]


def media_rows(media: Sequence[MediaWrite]) -> list[ProductMedia]:
    return [
        ProductMedia(position=position, url=str(item.url), alt_text=item.alt_text)
        for position, item in enumerate(media, start=1)
    ]


def check_option_values(options: Sequence[OptionWrite | ProductOption], values: Sequence[str], *, field: str) -> None:
    """One value per option, each among that option's values."""
    if len(values) != len(options):
        raise InvalidVariantOptions(
            f"{field} has {len(values)} values; the product has {len(options)} options", field=field
        )
    for option, value in zip(options, values, strict=True):
        if value not in option.values:
            raise InvalidVariantOptions(f"{value!r} is not a value of option {option.name!r}", field=field)


def check_product_body(body: ProductCreate) -> None:
    """The rules within one product body: valid option values, no combination twice, no SKU twice."""
    _check_variants(body.options, body.variants)


def _check_variants(options: Sequence[OptionWrite], variants: Sequence[VariantFields]) -> None:
    combinations: set[tuple[str, ...]] = set()
    skus: set[str] = set()
    for index, variant in enumerate(variants):
        check_option_values(options, variant.option_values, field=f"variants.{index}.option_values")
        combination = tuple(variant.option_values)
        if combination in combinations:
            raise VariantOptionsTaken(field=f"variants.{index}.option_values")
        combinations.add(combination)
        if variant.sku is not None:
            if variant.sku in skus:
                raise SkuAlreadyExists(sku=variant.sku, field=f"variants.{index}.sku")
            skus.add(variant.sku)


async def _check_skus_free(db: AsyncSession, skus: Sequence[str], *, except_variant: uuid.UUID | None = None) -> None:
    taken = {sku for sku, owner in (await repository.sku_owners(db, skus)).items() if owner != except_variant}
    if taken:
        raise SkuAlreadyExists(sku=sorted(taken)[0])


def _title(option_values: Sequence[str]) -> str:
    return " / ".join(option_values) or "Default"


def variant_columns(fields: VariantFields, *, position: int) -> dict[str, Any]:
    """A new variant's column values (all but its id, version and times)."""
    values = list(fields.option_values) + [None] * (3 - len(fields.option_values))
    return {
        "sku": fields.sku,
        "title": _title(fields.option_values),
        "position": position,
        "option1": values[0],
        "option2": values[1],
        "option3": values[2],
        "barcode": fields.barcode,
        "weight": fields.weight,
        "weight_unit": fields.weight_unit,
        "requires_shipping": fields.requires_shipping,
        "track_inventory": fields.track_inventory,
        "allow_backorder": fields.allow_backorder,
        "tax_class": fields.tax_class,
    }


def new_variant(fields: VariantFields, *, position: int) -> Variant:
    return Variant(**variant_columns(fields, position=position), prices=[_price(price) for price in fields.prices])


def _price(price: PriceWrite) -> VariantPrice:
    return VariantPrice(currency=price.currency, amount=price.amount, compare_at_amount=price.compare_at_amount)


def new_product(body: ProductCreate, *, handle: str) -> Product:
    return Product(
        handle=handle,
        title=body.title,
        description=body.description,
        status=body.status,
        vendor=body.vendor,
        product_type=body.product_type,
        tags=list(body.tags),
        metadata_=dict(body.metadata),
        seo_title=body.seo_title,
        seo_description=body.seo_description,
        options=option_rows(body.options),
        variants=[new_variant(variant, position=index) for index, variant in enumerate(body.variants, start=1)],
        media=media_rows(body.media),
    )


async def create_product(db: AsyncSession, body: ProductCreate, *, actor: Principal | None) -> ProductRead:
    """Create a product with its options, variants, prices and media; records ``product.created``."""
    check_product_body(body)
    await _check_skus_free(db, [variant.sku for variant in body.variants if variant.sku is not None])
    handle = await claim_handle(db, Product, body.handle, body.title, current=None)
    product = new_product(body, handle=handle)
    db.add(product)
    await flush(db)
    await repository.refresh_search_terms(db, [product.id])
    read = product_read(product)
    await events_service.record(
        db, type="product.created", resource_id=product.id, version=product.version, data=snapshot(read), actor=actor
    )
    return read


async def update_product(
    db: AsyncSession, product_id: uuid.UUID, body: ProductUpdate, *, if_match: int | None, actor: Principal | None
) -> ProductRead:
    """Change the given fields (``options`` and ``media`` replace their lists); records ``product.updated``.

    New options must keep every existing variant valid: as many options, each variant's values still offered.
    """
    product = await _product(db, product_id, for_update=True)
    if if_match is not None and product.version != if_match:
        raise VersionMismatch(current_version=product.version)
    changes = body.model_dump(exclude_unset=True, exclude={"options", "media", "handle", "metadata"})
    if body.handle is not None:
        product.handle = await claim_handle(db, Product, body.handle, product.title, current=product.handle)
    for field, value in changes.items():
        setattr(product, field, value)
    if body.metadata is not None:
        product.metadata_ = dict(body.metadata)
    product.updated_at = utcnow()  # a change of options or media alone is still a new version
    if body.options is not None:
        for variant in product.variants:
            check_option_values(body.options, variant.option_values, field="options")
        product.options.clear()
        await flush(db)  # the old options go before the new ones take their positions
        product.options.extend(option_rows(body.options))
    if body.media is not None:
        product.media.clear()
        await flush(db)
        product.media.extend(media_rows(body.media))
    await flush(db)
    if "tags" in body.model_fields_set or "product_type" in body.model_fields_set:
        await repository.refresh_search_terms(db, [product.id])
    read = product_read(product)
    await events_service.record(
        db, type="product.updated", resource_id=product.id, version=product.version, data=snapshot(read), actor=actor
    )
    return read


async def delete_product(db: AsyncSession, product_id: uuid.UUID, *, actor: Principal | None) -> None:
    """Delete the product and, by cascade, its variants, prices, media and memberships; records
    ``product.deleted`` with the last snapshot."""
    product = await _product(db, product_id, for_update=True)
    read = product_read(product)
    await db.execute(delete(Product).where(Product.id == product_id))
    db.expunge(product)
    await events_service.record(
        db, type="product.deleted", resource_id=product_id, version=read.version, data=snapshot(read), actor=actor
    )


# --- variants -------------------------------------------------------------------------------------------------------


async def get_variant(db: AsyncSession, product_id: uuid.UUID, variant_id: uuid.UUID) -> VariantRead:
    product = await _product(db, product_id)
    return variant_read(_variant_of(product, variant_id))


async def list_variants(db: AsyncSession, product_id: uuid.UUID) -> list[VariantRead]:
    product = await _product(db, product_id)
    return [variant_read(variant) for variant in product.variants]


async def create_variant(
    db: AsyncSession, product_id: uuid.UUID, body: VariantCreate, *, actor: Principal | None
) -> VariantRead:
    """Add a variant at the end of the product's list; records ``variant.created``."""
    product = await _product(db, product_id, for_update=True)  # serialises option checks per product
    check_option_values(product.options, body.option_values, field="option_values")
    if any(variant.option_values == body.option_values for variant in product.variants):
        raise VariantOptionsTaken(field="option_values")
    if body.sku is not None:
        await _check_skus_free(db, [body.sku])
    position = max((variant.position for variant in product.variants), default=0) + 1
    variant = new_variant(body, position=position)
    product.variants.append(variant)
    await flush(db)
    await repository.refresh_search_terms(db, [product.id])
    read = variant_read(variant)
    await events_service.record(
        db, type="variant.created", resource_id=variant.id, version=variant.version, data=snapshot(read), actor=actor
    )
    return read


async def update_variant(
    db: AsyncSession,
    product_id: uuid.UUID,
    variant_id: uuid.UUID,
    body: VariantUpdate,
    *,
    if_match: int | None,
    actor: Principal | None,
) -> VariantRead:
    """Change the given fields (``prices`` replaces every price); records ``variant.updated``."""
    product = await _product(db, product_id, for_update=True)
    variant = _variant_of(product, variant_id)
    if if_match is not None and variant.version != if_match:
        raise VersionMismatch(current_version=variant.version)
    if body.option_values is not None:
        check_option_values(product.options, body.option_values, field="option_values")
        if any(other.option_values == body.option_values for other in product.variants if other is not variant):
            raise VariantOptionsTaken(field="option_values")
        values = list(body.option_values) + [None] * (3 - len(body.option_values))
        variant.option1, variant.option2, variant.option3 = values
        variant.title = _title(body.option_values)
    if body.sku is not None and body.sku != variant.sku:
        await _check_skus_free(db, [body.sku], except_variant=variant.id)
    for field, value in body.model_dump(exclude_unset=True, exclude={"option_values", "prices"}).items():
        setattr(variant, field, value)
    if body.prices is not None:
        replace_prices(variant, body.prices)
    variant.updated_at = utcnow()  # a change of prices alone is still a new version
    await flush(db)
    if "sku" in body.model_fields_set or "barcode" in body.model_fields_set:
        await repository.refresh_search_terms(db, [product.id])
    read = variant_read(variant)
    await events_service.record(
        db, type="variant.updated", resource_id=variant.id, version=variant.version, data=snapshot(read), actor=actor
    )
    return read


def replace_prices(variant: Variant, prices: Sequence[PriceWrite]) -> None:
    """Update prices in place by currency, add new currencies, drop the others (no key is ever reused)."""
    wanted = {price.currency: price for price in prices}
    for existing in list(variant.prices):
        if existing.currency not in wanted:
            variant.prices.remove(existing)
    current = {price.currency: price for price in variant.prices}
    for currency, price in wanted.items():
        if currency in current:
            current[currency].amount = price.amount
            current[currency].compare_at_amount = price.compare_at_amount
        else:
            variant.prices.append(_price(price))


async def delete_variant(
    db: AsyncSession, product_id: uuid.UUID, variant_id: uuid.UUID, *, actor: Principal | None
) -> None:
    """Delete the variant and its prices; records ``variant.deleted`` with its last snapshot."""
    product = await _product(db, product_id, for_update=True)
    variant = _variant_of(product, variant_id)
    read = variant_read(variant)
    product.variants.remove(variant)  # delete-orphan: the flush deletes it and its prices
    await flush(db)
    await repository.refresh_search_terms(db, [product.id])
    await events_service.record(
        db, type="variant.deleted", resource_id=variant_id, version=read.version, data=snapshot(read), actor=actor
    )


# --- lookups --------------------------------------------------------------------------------------------------------


async def _product(db: AsyncSession, product_id: uuid.UUID, *, for_update: bool = False) -> Product:
    product = await repository.get_product(db, product_id, for_update=for_update)
    if product is None:
        raise ProductNotFound()
    return product


def _variant_of(product: Product, variant_id: uuid.UUID) -> Variant:
    for variant in product.variants:
        if variant.id == variant_id:
            return variant
    raise VariantNotFound()
