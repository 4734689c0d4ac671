"""orders and payments

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Autogenerate does not create sequences: the order numbers' one comes first (the column default uses it).
    op.execute(sa.schema.CreateSequence(sa.Sequence("order_numbers", start=1001)))
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.BigInteger(), server_default=sa.text("nextval('order_numbers')"), nullable=False),
        sa.Column("cart_id", sa.Uuid(), nullable=True),
        sa.Column("checkout_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "completed", "canceled", name="orderstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "payment_status",
            sa.Enum(
                "unpaid",
                "pending",
                "paid",
                "partially_refunded",
                "refunded",
                "voided",
                "failed",
                name="paymentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "fulfillment_status",
            sa.Enum(
                "unfulfilled",
                "partially_fulfilled",
                "fulfilled",
                "delivered",
                name="fulfillmentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("tax_exempt", sa.Boolean(), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("discount_total", sa.BigInteger(), nullable=False),
        sa.Column("shipping_total", sa.BigInteger(), nullable=False),
        sa.Column("tax_total", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("billing_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("shipping_line", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("discount", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("tax_lines", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("cancel_reason", sa.String(length=32), nullable=True),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_orders_currency")),
        sa.CheckConstraint(
            "subtotal >= 0 AND discount_total >= 0 AND shipping_total >= 0 AND tax_total >= 0 AND total >= 0",
            name=op.f("ck_orders_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("cart_id", name=op.f("uq_orders_cart_id")),
        sa.UniqueConstraint("checkout_id", name=op.f("uq_orders_checkout_id")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(op.f("ix_orders_created_at_id"), "orders", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_orders_customer_id_created_at"), "orders", ["customer_id", "created_at"], unique=False)
    op.create_index(op.f("ix_orders_email"), "orders", ["email"], unique=False)
    op.create_index(
        op.f("ix_orders_fulfillment_status_created_at"), "orders", ["fulfillment_status", "created_at"], unique=False
    )
    op.create_index(
        op.f("ix_orders_payment_status_created_at"), "orders", ["payment_status", "created_at"], unique=False
    )
    op.create_index(op.f("ix_orders_status_created_at"), "orders", ["status", "created_at"], unique=False)
    op.create_table(
        "fulfillments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_number", sa.String(length=255), nullable=True),
        sa.Column("tracking_url", sa.String(length=2048), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_fulfillments_location_id_inventory_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fulfillments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillments")),
    )
    op.create_index(
        op.f("ix_fulfillments_order_id_created_at"), "fulfillments", ["order_id", "created_at"], unique=False
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "placed",
                "paid",
                "payment_failed",
                "fulfilled",
                "delivered",
                "refund_requested",
                "refunded",
                "refund_failed",
                "disputed",
                "canceled",
                "archived",
                "unarchived",
                "note_added",
                "mail_sent",
                name="ordereventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(
        op.f("ix_order_events_order_id_created_at_id"), "order_events", ["order_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("product_title", sa.String(length=255), nullable=False),
        sa.Column("variant_title", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("discount_total", sa.BigInteger(), nullable=False),
        sa.Column("tax_total", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("tax_lines", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("discounts", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("fulfilled_quantity", sa.Integer(), nullable=False),
        sa.Column("refunded_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
            name=op.f("ck_order_lines_fulfilled_within_quantity"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity",
            name=op.f("ck_order_lines_refunded_within_quantity"),
        ),
        sa.CheckConstraint(
            "unit_price >= 0 AND subtotal >= 0 AND discount_total >= 0 AND tax_total >= 0 AND total >= 0",
            name=op.f("ck_order_lines_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "position", name=op.f("uq_order_lines_order_id_position")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("checkout_id", sa.Uuid(), nullable=True),
        sa.Column("cart_id", sa.Uuid(), nullable=True),
        sa.Column("stripe_account", sa.String(length=255), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
                "processing",
                "requires_capture",
                "canceled",
                "succeeded",
                name="intentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_received", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("application_fee_amount", sa.BigInteger(), nullable=False),
        sa.Column("application_fee_refunded", sa.BigInteger(), nullable=False),
        sa.Column("latest_charge", sa.String(length=255), nullable=True),
        sa.Column("failure_message", sa.String(length=1000), nullable=True),
        sa.Column("disputed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_payments_currency")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "amount_received >= 0 AND amount_received <= amount", name=op.f("ck_payments_received_within_amount")
        ),
        sa.CheckConstraint(
            "amount_refunded >= 0 AND amount_refunded <= amount_received",
            name=op.f("ck_payments_refunded_within_received"),
        ),
        sa.CheckConstraint(
            "application_fee_refunded >= 0 AND application_fee_refunded <= application_fee_amount",
            name=op.f("ck_payments_fee_refunded_within_fee"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_payments_payment_intent_id")),
    )
    op.create_index(op.f("ix_payments_checkout_id"), "payments", ["checkout_id"], unique=False)
    op.create_index(op.f("ix_payments_created_at_id"), "payments", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"], unique=False)
    op.create_table(
        "fulfillment_lines",
        sa.Column("fulfillment_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_fulfillment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["fulfillment_id"],
            ["fulfillments.id"],
            name=op.f("fk_fulfillment_lines_fulfillment_id_fulfillments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_fulfillment_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fulfillment_id", "order_line_id", name=op.f("pk_fulfillment_lines")),
    )
    op.create_table(
        "payment_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_events_payment_id_payments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
        sa.UniqueConstraint("source_key", name=op.f("uq_payment_events_source_key")),
    )
    op.create_index(
        op.f("ix_payment_events_payment_id_created_at"), "payment_events", ["payment_id", "created_at"], unique=False
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "succeeded", "failed", "canceled", name="refundstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("shipping_amount", sa.BigInteger(), nullable=False),
        sa.Column("restock_location_id", sa.Uuid(), nullable=True),
        sa.Column("refund_application_fee", sa.Boolean(), nullable=False),
        sa.Column("failure_reason", sa.String(length=255), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.CheckConstraint("shipping_amount >= 0", name=op.f("ck_refunds_shipping_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_refunds_stripe_refund_id")),
    )
    op.create_index(op.f("ix_refunds_order_id_created_at"), "refunds", ["order_id", "created_at"], unique=False)
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_refunds_payment_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_order_id_created_at"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_payment_events_payment_id_created_at"), table_name="payment_events")
    op.drop_table("payment_events")
    op.drop_table("fulfillment_lines")
    op.drop_index(op.f("ix_payments_order_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_created_at_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_checkout_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_table("order_lines")
    op.drop_index(op.f("ix_order_events_order_id_created_at_id"), table_name="order_events")
    op.drop_table("order_events")
    op.drop_index(op.f("ix_fulfillments_order_id_created_at"), table_name="fulfillments")
    op.drop_table("fulfillments")
    op.drop_index(op.f("ix_orders_status_created_at"), table_name="orders")
    op.drop_index(op.f("ix_orders_payment_status_created_at"), table_name="orders")
    op.drop_index(op.f("ix_orders_fulfillment_status_created_at"), table_name="orders")
    op.drop_index(op.f("ix_orders_email"), table_name="orders")
    op.drop_index(op.f("ix_orders_customer_id_created_at"), table_name="orders")
    op.drop_index(op.f("ix_orders_created_at_id"), table_name="orders")
    op.drop_table("orders")
    op.execute(sa.schema.DropSequence(sa.Sequence("order_numbers")))
