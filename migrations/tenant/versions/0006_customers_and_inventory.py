"""customers and inventory

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:54:04.753568
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: every new customers column is nullable or has a server default, so code of the previous
    # release keeps inserting shoppers while the fleet migrates.
    op.create_table(
        "inventory_adjustments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("level_id", sa.Uuid(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column(
            "quantity",
            sa.Enum("on_hand", "committed", "reserved", name="quantityname", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("quantity_after", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "received",
                "correction",
                "cycle_count",
                "damaged",
                "shrinkage",
                "restock",
                "promotion",
                "quality_control",
                "other",
                "reservation_created",
                "reservation_released",
                "reservation_expired",
                name="adjustmentreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_adjustments")),
    )
    op.create_index(
        op.f("ix_inventory_adjustments_created_at_id"), "inventory_adjustments", ["created_at", "id"], unique=False
    )
    op.create_index(
        op.f("ix_inventory_adjustments_level_id_created_at_id"),
        "inventory_adjustments",
        ["level_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inventory_adjustments_location_id_created_at_id"),
        "inventory_adjustments",
        ["location_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inventory_adjustments_variant_id_created_at_id"),
        "inventory_adjustments",
        ["variant_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "inventory_locations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_locations")),
        sa.UniqueConstraint("name", name=op.f("uq_inventory_locations_name")),
    )
    op.create_index(
        op.f("ix_inventory_locations_created_at_id"), "inventory_locations", ["created_at", "id"], unique=False
    )
    op.create_table(
        "customer_addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("is_default_shipping", sa.Boolean(), nullable=False),
        sa.Column("is_default_billing", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    op.create_index(
        op.f("ix_customer_addresses_customer_id_created_at_id"),
        "customer_addresses",
        ["customer_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_customer_addresses_default_billing",
        "customer_addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("is_default_billing"),
    )
    op.create_index(
        "uq_customer_addresses_default_shipping",
        "customer_addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("is_default_shipping"),
    )
    op.create_table(
        "customer_data_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "succeeded", name="exportstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_data_exports_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_data_exports")),
    )
    op.create_index(
        op.f("ix_customer_data_exports_customer_id_created_at"),
        "customer_data_exports",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "inventory_levels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("committed", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column(
            "available", sa.Integer(), sa.Computed("on_hand - committed - reserved", persisted=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("committed >= 0", name=op.f("ck_inventory_levels_committed_not_negative")),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_inventory_levels_on_hand_not_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_inventory_levels_reserved_not_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_levels_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_inventory_levels_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_levels")),
        sa.UniqueConstraint("variant_id", "location_id", name=op.f("uq_inventory_levels_variant_id_location_id")),
    )
    op.create_index(op.f("ix_inventory_levels_created_at_id"), "inventory_levels", ["created_at", "id"], unique=False)
    op.create_index(
        op.f("ix_inventory_levels_location_id_available"),
        "inventory_levels",
        ["location_id", "available"],
        unique=False,
    )
    op.create_table(
        "inventory_reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "released", "expired", name="reservationstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_inventory_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_reservations_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_inventory_reservations_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_reservations")),
    )
    op.create_index(
        "ix_inventory_reservations_active_expires_at",
        "inventory_reservations",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(op.f("ix_inventory_reservations_reference"), "inventory_reservations", ["reference"], unique=False)
    op.add_column("customers", sa.Column("first_name", sa.String(length=100), server_default="", nullable=False))
    op.add_column("customers", sa.Column("last_name", sa.String(length=100), server_default="", nullable=False))
    op.add_column("customers", sa.Column("phone", sa.String(length=32), nullable=True))
    op.add_column("customers", sa.Column("external_id", sa.String(length=255), nullable=True))
    op.add_column(
        "customers", sa.Column("tags", sa.ARRAY(sa.String(length=64)), server_default=sa.text("'{}'"), nullable=False)
    )
    op.add_column("customers", sa.Column("note", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "customers", sa.Column("accepts_marketing", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("customers", sa.Column("marketing_consent_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customers", sa.Column("tax_exempt", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.add_column("customers", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customers", sa.Column("erased_by", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_customers_created_at_id"), "customers", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_customers_email_pattern", "customers", ["email"], unique=False, postgresql_ops={"email": "text_pattern_ops"}
    )
    op.create_index("ix_customers_tags", "customers", ["tags"], unique=False, postgresql_using="gin")
    op.create_unique_constraint(op.f("uq_customers_external_id"), "customers", ["external_id"])
    op.add_column(
        "shop_settings",
        sa.Column("show_inventory_quantities", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("shop_settings", "show_inventory_quantities")
    op.drop_constraint(op.f("uq_customers_external_id"), "customers", type_="unique")
    op.drop_index("ix_customers_tags", table_name="customers", postgresql_using="gin")
    op.drop_index("ix_customers_email_pattern", table_name="customers", postgresql_ops={"email": "text_pattern_ops"})
    op.drop_index(op.f("ix_customers_created_at_id"), table_name="customers")
    op.drop_column("customers", "erased_by")
    op.drop_column("customers", "erased_at")
    op.drop_column("customers", "version")
    op.drop_column("customers", "tax_exempt")
    op.drop_column("customers", "marketing_consent_updated_at")
    op.drop_column("customers", "accepts_marketing")
    op.drop_column("customers", "note")
    op.drop_column("customers", "tags")
    op.drop_column("customers", "external_id")
    op.drop_column("customers", "phone")
    op.drop_column("customers", "last_name")
    op.drop_column("customers", "first_name")
    op.drop_index(op.f("ix_inventory_reservations_reference"), table_name="inventory_reservations")
    op.drop_index(
        "ix_inventory_reservations_active_expires_at",
        table_name="inventory_reservations",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_table("inventory_reservations")
    op.drop_index(op.f("ix_inventory_levels_location_id_available"), table_name="inventory_levels")
    op.drop_index(op.f("ix_inventory_levels_created_at_id"), table_name="inventory_levels")
    op.drop_table("inventory_levels")
    op.drop_index(op.f("ix_customer_data_exports_customer_id_created_at"), table_name="customer_data_exports")
    op.drop_table("customer_data_exports")
    op.drop_index(
        "uq_customer_addresses_default_shipping",
        table_name="customer_addresses",
        postgresql_where=sa.text("is_default_shipping"),
    )
    op.drop_index(
        "uq_customer_addresses_default_billing",
        table_name="customer_addresses",
        postgresql_where=sa.text("is_default_billing"),
    )
    op.drop_index(op.f("ix_customer_addresses_customer_id_created_at_id"), table_name="customer_addresses")
    op.drop_table("customer_addresses")
    op.drop_index(op.f("ix_inventory_locations_created_at_id"), table_name="inventory_locations")
    op.drop_table("inventory_locations")
    op.drop_index(op.f("ix_inventory_adjustments_variant_id_created_at_id"), table_name="inventory_adjustments")
    op.drop_index(op.f("ix_inventory_adjustments_location_id_created_at_id"), table_name="inventory_adjustments")
    op.drop_index(op.f("ix_inventory_adjustments_level_id_created_at_id"), table_name="inventory_adjustments")
    op.drop_index(op.f("ix_inventory_adjustments_created_at_id"), table_name="inventory_adjustments")
    op.drop_table("inventory_adjustments")
