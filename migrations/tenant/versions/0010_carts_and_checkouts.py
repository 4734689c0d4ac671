"""carts and checkouts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: new tables, and shop columns with server defaults (older code keeps writing the shop).
    op.create_table(
        "carts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "completed", "expired", name="cartstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("secret_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("billing_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("shipping_rate_id", sa.Uuid(), nullable=True),
        sa.Column("discount_code", sa.String(length=64), nullable=True),
        sa.Column("quote", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("discount_total", sa.BigInteger(), nullable=False),
        sa.Column("shipping_total", sa.BigInteger(), nullable=False),
        sa.Column("tax_total", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_carts_currency")),
        sa.CheckConstraint("(customer_id IS NULL) <> (secret_hash IS NULL)", name=op.f("ck_carts_one_owner")),
        sa.CheckConstraint("version > 0", name=op.f("ck_carts_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
    )
    op.create_index(op.f("ix_carts_customer_id_created_at"), "carts", ["customer_id", "created_at"], unique=False)
    op.create_index(
        "ix_carts_open_expires_at", "carts", ["expires_at"], unique=False, postgresql_where=sa.text("status = 'open'")
    )
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cart_id", sa.Uuid(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("variant_title", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_lines_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_cart_lines_unit_price")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_lines_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
        sa.UniqueConstraint("cart_id", "variant_id", name=op.f("uq_cart_lines_cart_id_variant_id")),
    )
    op.create_table(
        "checkouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cart_id", sa.Uuid(), nullable=False),
        sa.Column("cart_version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "completed",
                "canceled",
                "refunding",
                "refunded",
                name="checkoutstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("application_fee_amount", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("quote", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("discount_id", sa.Uuid(), nullable=True),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.String(length=255), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("refund_id", sa.String(length=255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_checkouts_amount")),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], name=op.f("fk_checkouts_cart_id_carts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkouts")),
        sa.UniqueConstraint("cart_id", "cart_version", name=op.f("uq_checkouts_cart_id_cart_version")),
    )
    op.create_index(
        "ix_checkouts_open_created_at",
        "checkouts",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(op.f("ix_checkouts_payment_intent_id"), "checkouts", ["payment_intent_id"], unique=True)
    op.add_column(
        "shop_settings",
        sa.Column("reserve_stock_at_checkout", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column(
        "shop_settings",
        sa.Column("checkout_reservation_ttl_seconds", sa.Integer(), server_default=sa.text("900"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_shop_settings_checkout_reservation_ttl"),
        "shop_settings",
        "checkout_reservation_ttl_seconds BETWEEN 60 AND 86400",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_shop_settings_checkout_reservation_ttl"), "shop_settings", type_="check")
    op.drop_column("shop_settings", "checkout_reservation_ttl_seconds")
    op.drop_column("shop_settings", "reserve_stock_at_checkout")
    op.drop_index(op.f("ix_checkouts_payment_intent_id"), table_name="checkouts")
    op.drop_index("ix_checkouts_open_created_at", table_name="checkouts", postgresql_where=sa.text("status = 'open'"))
    op.drop_table("checkouts")
    op.drop_table("cart_lines")
    op.drop_index("ix_carts_open_expires_at", table_name="carts", postgresql_where=sa.text("status = 'open'"))
    op.drop_index(op.f("ix_carts_customer_id_created_at"), table_name="carts")
    op.drop_table("carts")
