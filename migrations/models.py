"""Every model module, imported so that the two metadata objects are complete for Alembic."""

from __future__ import annotations

import auth.operators.models
import auth.staff.models
import commerce.shop.models
import tenants.models
from core.db import PUBLIC_SCHEMA, PublicBase, TenantBase

public_metadata = PublicBase.metadata
tenant_metadata = TenantBase.metadata


def include_public_only(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate filter of the public environment: the shared schema only, never a tenant schema."""
    return type_ != "schema" or name in (None, PUBLIC_SCHEMA)


__all__ = ["auth", "commerce", "include_public_only", "public_metadata", "tenant_metadata", "tenants"]
