from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, updated_at_column


class ShopSettings(TenantBase):
    """The merchant's shop-wide settings: exactly one row per tenant schema."""

    __tablename__ = "shop_settings"
    __table_args__ = (
        CheckConstraint("id = 1", "single_row"),
        CheckConstraint("default_currency ~ '^[A-Z]{3}$'", "default_currency"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    support_email: Mapped[str | None] = mapped_column(String(320))
    # Storefronts show exact stock counts only if the merchant opts in; otherwise only `available_for_sale`.
    show_inventory_quantities: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Catalog prices and shipping rates include tax (VAT style) rather than having it added (US style).
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
