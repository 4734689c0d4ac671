"""shipping zones and rates, tax classes and rates, discounts and their redemptions, shop prices_include_tax

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:50:42.673262
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: new tables, and a shop column with a server default (false: prices exclude tax, as before).
    op.create_table(
        "discounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("percentage", "fixed_amount", "free_shipping", name="discountkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("percentage_bps", sa.Integer(), nullable=True),
        sa.Column("amounts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("product_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("collection_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("minimum_subtotals", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0", name=op.f("ck_discounts_per_customer_limit")
        ),
        sa.CheckConstraint(
            "percentage_bps IS NULL OR percentage_bps BETWEEN 1 AND 10000", name=op.f("ck_discounts_percentage_bps")
        ),
        sa.CheckConstraint("times_used >= 0", name=op.f("ck_discounts_times_used")),
        sa.CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name=op.f("ck_discounts_usage_limit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discounts")),
    )
    op.create_index(op.f("ix_discounts_created_at_id"), "discounts", ["created_at", "id"], unique=False)
    op.create_index("uq_discounts_code_lower", "discounts", [sa.text("lower(code)")], unique=True)
    op.create_table(
        "shipping_zones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_zones")),
    )
    op.create_index(op.f("ix_shipping_zones_created_at_id"), "shipping_zones", ["created_at", "id"], unique=False)
    op.create_index("ix_shipping_zones_regions", "shipping_zones", ["regions"], unique=False, postgresql_using="gin")
    op.create_table(
        "tax_classes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_classes")),
        sa.UniqueConstraint("code", name=op.f("uq_tax_classes_code")),
    )
    op.create_index(op.f("ix_tax_classes_created_at_id"), "tax_classes", ["created_at", "id"], unique=False)
    op.create_table(
        "discount_redemptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("discount_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["discount_id"],
            ["discounts.id"],
            name=op.f("fk_discount_redemptions_discount_id_discounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_discount_redemptions_order_id")),
    )
    op.create_index(
        op.f("ix_discount_redemptions_discount_id_customer_id"),
        "discount_redemptions",
        ["discount_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_discount_redemptions_discount_id_email"),
        "discount_redemptions",
        ["discount_id", "email"],
        unique=False,
    )
    op.create_table(
        "shipping_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prices", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("min_subtotal", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("max_subtotal", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("min_weight_grams", sa.BigInteger(), nullable=True),
        sa.Column("max_weight_grams", sa.BigInteger(), nullable=True),
        sa.Column("free_above", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("min_delivery_days", sa.Integer(), nullable=True),
        sa.Column("max_delivery_days", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "max_delivery_days IS NULL OR max_delivery_days >= 0", name=op.f("ck_shipping_rates_max_delivery_days")
        ),
        sa.CheckConstraint(
            "max_weight_grams IS NULL OR max_weight_grams >= 0", name=op.f("ck_shipping_rates_max_weight_grams")
        ),
        sa.CheckConstraint(
            "min_delivery_days IS NULL OR min_delivery_days >= 0", name=op.f("ck_shipping_rates_min_delivery_days")
        ),
        sa.CheckConstraint(
            "min_weight_grams IS NULL OR min_weight_grams >= 0", name=op.f("ck_shipping_rates_min_weight_grams")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["shipping_zones.id"],
            name=op.f("fk_shipping_rates_zone_id_shipping_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_rates")),
    )
    op.create_index(
        op.f("ix_shipping_rates_zone_id_created_at_id"), "shipping_rates", ["zone_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tax_class_id", sa.Uuid(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("subdivision", sa.String(length=3), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f("ck_tax_rates_country")),
        sa.CheckConstraint("rate_bps BETWEEN 0 AND 10000", name=op.f("ck_tax_rates_rate_bps")),
        sa.ForeignKeyConstraint(
            ["tax_class_id"],
            ["tax_classes.id"],
            name=op.f("fk_tax_rates_tax_class_id_tax_classes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint(
            "tax_class_id",
            "country",
            "subdivision",
            name=op.f("uq_tax_rates_tax_class_id_country_subdivision"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(op.f("ix_tax_rates_country_subdivision"), "tax_rates", ["country", "subdivision"], unique=False)
    op.create_index(op.f("ix_tax_rates_created_at_id"), "tax_rates", ["created_at", "id"], unique=False)
    op.add_column(
        "shop_settings", sa.Column("prices_include_tax", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("shop_settings", "prices_include_tax")
    op.drop_index(op.f("ix_tax_rates_created_at_id"), table_name="tax_rates")
    op.drop_index(op.f("ix_tax_rates_country_subdivision"), table_name="tax_rates")
    op.drop_table("tax_rates")
    op.drop_index(op.f("ix_shipping_rates_zone_id_created_at_id"), table_name="shipping_rates")
    op.drop_table("shipping_rates")
    op.drop_index(op.f("ix_discount_redemptions_discount_id_email"), table_name="discount_redemptions")
    op.drop_index(op.f("ix_discount_redemptions_discount_id_customer_id"), table_name="discount_redemptions")
    op.drop_table("discount_redemptions")
    op.drop_index(op.f("ix_tax_classes_created_at_id"), table_name="tax_classes")
    op.drop_table("tax_classes")
    op.drop_index("ix_shipping_zones_regions", table_name="shipping_zones", postgresql_using="gin")
    op.drop_index(op.f("ix_shipping_zones_created_at_id"), table_name="shipping_zones")
    op.drop_table("shipping_zones")
    op.drop_index("uq_discounts_code_lower", table_name="discounts")
    op.drop_index(op.f("ix_discounts_created_at_id"), table_name="discounts")
    op.drop_table("discounts")
