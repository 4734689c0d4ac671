"""Replacing a product with a full product body: what an import row does to a product that already exists.

The body is the whole product: its fields, options and media replace the stored ones, and its variants are
matched to the stored ones **by SKU** (so every variant of the body needs one): a matched variant keeps its id
(and whatever refers to it, such as stock levels) and takes the body's values and prices; a new SKU is a new
variant; a stored variant the body does not list is deleted. One ``product.updated`` event records it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.catalog import repository
from commerce.catalog.errors import InvalidVariantOptions, ProductNotFound
from commerce.catalog.models import Variant
from commerce.catalog.schemas import ProductCreate, ProductRead
from commerce.catalog.service import (
    flush,
    media_rows,
    new_variant,
    option_rows,
    product_read,
    replace_prices,
    snapshot,
    variant_columns,
)
from commerce.events import service as events_service
from core.clock import utcnow


async def replace_product(
    db: AsyncSession, product_id: uuid.UUID, body: ProductCreate, *, actor: Principal | None
) -> ProductRead:
    """Make the product exactly ``body`` (its handle stays); records ``product.updated``."""
    product = await repository.get_product(db, product_id, for_update=True)
    if product is None:
        raise ProductNotFound()
    unnamed = [index for index, variant in enumerate(body.variants) if variant.sku is None]
    if unnamed:
        raise InvalidVariantOptions(
            "every variant needs a SKU to update an existing product", field=f"variants.{unnamed[0]}.sku"
        )
    for field in ("title", "description", "status", "vendor", "product_type", "seo_title", "seo_description"):
        setattr(product, field, getattr(body, field))
    product.tags = list(body.tags)
    product.metadata_ = dict(body.metadata)
    product.updated_at = utcnow()
    # Children first go, then come back: options and media by position, variants by SKU.
    by_sku = {variant.sku: variant for variant in product.variants}
    wanted = {fields.sku for fields in body.variants}
    for variant in [variant for variant in product.variants if variant.sku not in wanted]:
        product.variants.remove(variant)
    for variant in product.variants:  # park kept variants' option values: the new ones may swap them
        variant.option1 = variant.option2 = variant.option3 = f"~{variant.id}"
    product.options.clear()
    product.media.clear()
    await flush(db)
    product.options.extend(option_rows(body.options))
    product.media.extend(media_rows(body.media))
    for position, fields in enumerate(body.variants, start=1):
        existing: Variant | None = by_sku.get(fields.sku)
        if existing is None or existing not in product.variants:
            product.variants.append(new_variant(fields, position=position))
            continue
        for name, value in variant_columns(fields, position=position).items():
            setattr(existing, name, value)
        replace_prices(existing, fields.prices)
        existing.updated_at = utcnow()
    await flush(db)
    await repository.refresh_search_terms(db, [product.id])
    read = product_read(product)
    await events_service.record(
        db, type="product.updated", resource_id=product.id, version=product.version, data=snapshot(read), actor=actor
    )
    return read
