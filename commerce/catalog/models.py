"""The merchant's catalog: products with options, variants, prices per currency and media; manual collections.

Deleting a product deletes its options, variants, prices, media and collection memberships with it (foreign
keys ``ON DELETE CASCADE`` inside the tenant schema). Records that must outlive a product (order lines, later)
keep a snapshot of what they sold (title, SKU, price) and the variant id without a foreign key, so a product
can always be deleted; merchants who only want to hide a product set its status to ``archived``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class ProductStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"  # the only status a storefront shows
    ARCHIVED = "archived"


class WeightUnit(StrEnum):
    G = "g"
    KG = "kg"
    OZ = "oz"
    LB = "lb"


# The search document: title (weight A), tags, SKUs, barcodes and product type (B, kept in ``search_terms`` by the
# service), vendor (C), description (D). The 'simple' configuration neither stems nor drops stop words, so it
# treats every shop's language alike and prefix queries (``blu:*``) match what the merchant typed.
SEARCH_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(search_terms, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(vendor, '')), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'D')"
)


class Product(TenantBase):
    __tablename__ = "products"
    __table_args__ = (
        Index(None, "created_at", "id"),
        Index(None, "updated_at", "id"),
        Index(None, "title", "id"),
        Index(None, "vendor"),
        Index("ix_products_tags", "tags", postgresql_using="gin"),
        Index("ix_products_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ProductStatus] = mapped_column(str_enum(ProductStatus), default=ProductStatus.DRAFT)
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list, server_default="{}")
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONB, default=dict, server_default="{}")
    seo_title: Mapped[str | None] = mapped_column(String(255))
    seo_description: Mapped[str | None] = mapped_column(String(1000))
    search_terms: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR, persisted=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    # Loaded on purpose (selectinload in the repository), never lazily; the database cascades deletes.
    options: Mapped[list[ProductOption]] = relationship(
        order_by="ProductOption.position", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    variants: Mapped[list[Variant]] = relationship(
        order_by="(Variant.position, Variant.id)", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    media: Mapped[list[ProductMedia]] = relationship(
        order_by="ProductMedia.position", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProductOption(TenantBase):
    """One of a product's (at most three) options, such as Size, with its values in display order."""

    __tablename__ = "product_options"
    __table_args__ = (
        UniqueConstraint("product_id", "position"),
        UniqueConstraint("product_id", "name"),
        CheckConstraint("position BETWEEN 1 AND 3", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(100))
    values: Mapped[list[str]] = mapped_column(ARRAY(String(255)))


class Variant(TenantBase):
    """A sellable version of a product: its option values (``option1``..``option3``, by option position), SKU,
    prices and shipping and stock flags."""

    __tablename__ = "variants"
    __table_args__ = (
        UniqueConstraint("product_id", "option1", "option2", "option3", postgresql_nulls_not_distinct=True),
        Index(None, "product_id", "position"),
        CheckConstraint("weight IS NULL OR weight >= 0", "weight"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    sku: Mapped[str | None] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=1)
    option1: Mapped[str | None] = mapped_column(String(255))
    option2: Mapped[str | None] = mapped_column(String(255))
    option3: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(64))
    weight: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    weight_unit: Mapped[WeightUnit] = mapped_column(str_enum(WeightUnit), default=WeightUnit.KG)
    requires_shipping: Mapped[bool] = mapped_column(Boolean, default=True)
    track_inventory: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_backorder: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_class: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    prices: Mapped[list[VariantPrice]] = relationship(
        order_by="VariantPrice.currency", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    @property
    def option_values(self) -> list[str]:
        return [value for value in (self.option1, self.option2, self.option3) if value is not None]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class VariantPrice(TenantBase):
    """A variant's price in one currency, in minor units (``core.money``), with an optional compare-at price."""

    __tablename__ = "variant_prices"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", "currency"),
        CheckConstraint("amount >= 0", "amount"),
        CheckConstraint("compare_at_amount IS NULL OR compare_at_amount >= 0", "compare_at_amount"),
    )

    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    compare_at_amount: Mapped[int | None] = mapped_column(BigInteger)


class ProductMedia(TenantBase):
    """An image of a product, by URL, in display order."""

    __tablename__ = "product_media"
    __table_args__ = (Index(None, "product_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2048))
    alt_text: Mapped[str | None] = mapped_column(String(512))


class Collection(TenantBase):
    """A manual collection: products the merchant put in it, in the order they chose."""

    __tablename__ = "collections"
    __table_args__ = (Index(None, "created_at", "id"), Index(None, "updated_at", "id"), Index(None, "title", "id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    seo_title: Mapped[str | None] = mapped_column(String(255))
    seo_description: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CollectionProduct(TenantBase):
    __tablename__ = "collection_products"
    __table_args__ = (Index(None, "collection_id", "position"), Index(None, "product_id"))

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()


class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ImportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


class ProductImport(TenantBase):
    """A bulk import of products: the uploaded file, its progress and its per-row errors.

    ``idempotency_key`` makes the upload idempotent: the same key returns this import again (the same file) or is
    refused (a different file, told apart by ``content_sha256``). The file is dropped once the import finished.
    """

    __tablename__ = "product_imports"
    __table_args__ = (Index(None, "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    content_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    format: Mapped[ImportFormat] = mapped_column(str_enum(ImportFormat))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus), default=ImportStatus.PENDING)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    failure: Mapped[str | None] = mapped_column(Text)
    actor_kind: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
