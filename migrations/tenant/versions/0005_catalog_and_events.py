"""catalog, events and publishable keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 07:49:27.940091
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "collections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("seo_title", sa.String(length=255), nullable=True),
        sa.Column("seo_description", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("handle", name=op.f("uq_collections_handle")),
    )
    op.create_index(op.f("ix_collections_created_at_id"), "collections", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_collections_title_id"), "collections", ["title", "id"], unique=False)
    op.create_index(op.f("ix_collections_updated_at_id"), "collections", ["updated_at", "id"], unique=False)
    op.create_table(
        "event_counters",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_event_counters_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_counters")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("resource_version", sa.Integer(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("sequence", name=op.f("uq_events_sequence")),
    )
    op.create_index(op.f("ix_events_resource_id_sequence"), "events", ["resource_id", "sequence"], unique=False)
    op.create_index(op.f("ix_events_type_sequence"), "events", ["type", "sequence"], unique=False)
    op.create_table(
        "product_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("content_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("format", sa.Enum("jsonl", "csv", name="importformat", native_enum=False, length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "running", "succeeded", "failed", name="importstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_imports")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_product_imports_idempotency_key")),
    )
    op.create_index(op.f("ix_product_imports_created_at_id"), "product_imports", ["created_at", "id"], unique=False)
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "active", "archived", name="productstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("product_type", sa.String(length=255), nullable=True),
        sa.Column("tags", sa.ARRAY(sa.String(length=255)), server_default="{}", nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("seo_title", sa.String(length=255), nullable=True),
        sa.Column("seo_description", sa.String(length=1000), nullable=True),
        sa.Column("search_terms", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('simple'::regconfig, coalesce(search_terms, '')), 'B') || setweight(to_tsvector('simple'::regconfig, coalesce(vendor, '')), 'C') || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'D')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("handle", name=op.f("uq_products_handle")),
    )
    op.create_index(op.f("ix_products_created_at_id"), "products", ["created_at", "id"], unique=False)
    op.create_index("ix_products_search_vector", "products", ["search_vector"], unique=False, postgresql_using="gin")
    op.create_index("ix_products_tags", "products", ["tags"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_products_title_id"), "products", ["title", "id"], unique=False)
    op.create_index(op.f("ix_products_updated_at_id"), "products", ["updated_at", "id"], unique=False)
    op.create_index(op.f("ix_products_vendor"), "products", ["vendor"], unique=False)
    op.create_table(
        "collection_products",
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_products_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_collection_products_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("collection_id", "product_id", name=op.f("pk_collection_products")),
    )
    op.create_index(
        op.f("ix_collection_products_collection_id_position"),
        "collection_products",
        ["collection_id", "position"],
        unique=False,
    )
    op.create_index(op.f("ix_collection_products_product_id"), "collection_products", ["product_id"], unique=False)
    op.create_table(
        "product_media",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("alt_text", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_media_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_media")),
    )
    op.create_index(
        op.f("ix_product_media_product_id_position"), "product_media", ["product_id", "position"], unique=False
    )
    op.create_table(
        "product_options",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("values", sa.ARRAY(sa.String(length=255)), nullable=False),
        sa.CheckConstraint("position BETWEEN 1 AND 3", name=op.f("ck_product_options_position")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_options_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_options")),
        sa.UniqueConstraint("product_id", "name", name=op.f("uq_product_options_product_id_name")),
        sa.UniqueConstraint("product_id", "position", name=op.f("uq_product_options_product_id_position")),
    )
    op.create_table(
        "publishable_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("last_four", sa.String(length=4), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("allowed_origins", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_members.id"],
            name=op.f("fk_publishable_keys_created_by_staff_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishable_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_publishable_keys_secret_hash")),
    )
    op.create_table(
        "variants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("option1", sa.String(length=255), nullable=True),
        sa.Column("option2", sa.String(length=255), nullable=True),
        sa.Column("option3", sa.String(length=255), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column(
            "weight_unit",
            sa.Enum("g", "kg", "oz", "lb", name="weightunit", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.Column("track_inventory", sa.Boolean(), nullable=False),
        sa.Column("allow_backorder", sa.Boolean(), nullable=False),
        sa.Column("tax_class", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("weight IS NULL OR weight >= 0", name=op.f("ck_variants_weight")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_variants_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variants")),
        sa.UniqueConstraint(
            "product_id",
            "option1",
            "option2",
            "option3",
            name=op.f("uq_variants_product_id_option1_option2_option3"),
            postgresql_nulls_not_distinct=True,
        ),
        sa.UniqueConstraint("sku", name=op.f("uq_variants_sku")),
    )
    op.create_index(op.f("ix_variants_product_id_position"), "variants", ["product_id", "position"], unique=False)
    op.create_table(
        "variant_prices",
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("compare_at_amount", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_variant_prices_currency")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_variant_prices_amount")),
        sa.CheckConstraint(
            "compare_at_amount IS NULL OR compare_at_amount >= 0", name=op.f("ck_variant_prices_compare_at_amount")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_variant_prices_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("variant_id", "currency", name=op.f("pk_variant_prices")),
    )


def downgrade() -> None:

    op.drop_table("variant_prices")
    op.drop_index(op.f("ix_variants_product_id_position"), table_name="variants")
    op.drop_table("variants")
    op.drop_table("publishable_keys")
    op.drop_table("product_options")
    op.drop_index(op.f("ix_product_media_product_id_position"), table_name="product_media")
    op.drop_table("product_media")
    op.drop_index(op.f("ix_collection_products_product_id"), table_name="collection_products")
    op.drop_index(op.f("ix_collection_products_collection_id_position"), table_name="collection_products")
    op.drop_table("collection_products")
    op.drop_index(op.f("ix_products_vendor"), table_name="products")
    op.drop_index(op.f("ix_products_updated_at_id"), table_name="products")
    op.drop_index(op.f("ix_products_title_id"), table_name="products")
    op.drop_index("ix_products_tags", table_name="products", postgresql_using="gin")
    op.drop_index("ix_products_search_vector", table_name="products", postgresql_using="gin")
    op.drop_index(op.f("ix_products_created_at_id"), table_name="products")
    op.drop_table("products")
    op.drop_index(op.f("ix_product_imports_created_at_id"), table_name="product_imports")
    op.drop_table("product_imports")
    op.drop_index(op.f("ix_events_type_sequence"), table_name="events")
    op.drop_index(op.f("ix_events_resource_id_sequence"), table_name="events")
    op.drop_table("events")
    op.drop_table("event_counters")
    op.drop_index(op.f("ix_collections_updated_at_id"), table_name="collections")
    op.drop_index(op.f("ix_collections_title_id"), table_name="collections")
    op.drop_index(op.f("ix_collections_created_at_id"), table_name="collections")
    op.drop_table("collections")
