"""Every model module, imported so that the two metadata objects are complete for Alembic."""

from __future__ import annotations

from collections.abc import Callable

from alembic.config import Config
from sqlalchemy import Connection, create_engine, pool

import auth.action_tokens.models
import auth.api_keys.models
import auth.customers.models
import auth.grants.models
import auth.oauth.models
import auth.operators.models
import auth.publishable_keys.models
import auth.staff.models
import billing.models
import billing.payments.models
import commerce.catalog.models
import commerce.customers.models
import commerce.discounts.models
import commerce.events.models
import commerce.inventory.models
import commerce.orders.models
import commerce.shipping.models
import commerce.shop.models
import commerce.tax.models
import core.idempotency
import core.outbox
import tenants.models
from core.db import PUBLIC_SCHEMA, PublicBase, TenantBase, sqlalchemy_url
from core.settings import Settings

public_metadata = PublicBase.metadata
tenant_metadata = TenantBase.metadata


def run_online(config: Config, run: Callable[[Connection], None]) -> None:
    """Run ``run`` on the connection the caller passed (``config.attributes["connection"]``), or on a new one
    to the configured database (developers' ``alembic`` command line)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings().db.url
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        run(connection)


def include_public_only(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate filter of the public environment: the shared schema only, never a tenant schema."""
    return type_ != "schema" or name in (None, PUBLIC_SCHEMA)


__all__ = [
    "auth",
    "billing",
    "commerce",
    "core",
    "include_public_only",
    "public_metadata",
    "run_online",
    "tenant_metadata",
    "tenants",
]
