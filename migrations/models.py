"""Every model module, imported so that the two metadata objects are complete for Alembic."""

from __future__ import annotations

import auth.operators.models
import auth.staff.models
import commerce.shop.models
import tenants.models
from core.db import PublicBase, TenantBase

public_metadata = PublicBase.metadata
tenant_metadata = TenantBase.metadata

__all__ = ["auth", "commerce", "public_metadata", "tenant_metadata", "tenants"]
