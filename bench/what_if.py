"""In-memory what-ifs for the diagnosis of the routing overhead (nothing on disk changes).

``make_dependencies_async`` swaps ``api.deps.get_state`` and ``get_tenant`` (plain ``def``, so FastAPI
runs each in its thread pool, one hop per request each) for ``async def`` twins. It must run before
any module that builds routes from them (``api.admin``, ``api.platform``, ``api.app``) is imported.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from fastapi import Request

from tenants.context import TenantContext

# With the tenant changes announced through NOTIFY (tenants.resolution.listen_for_changes), a long TTL
# only bounds how stale a cache can be when a notification is lost.
LONG_CACHE_TTL_SECONDS = 600.0


def make_dependencies_async() -> None:
    from api import deps
    from api.middleware import TENANT_SCOPE_KEY
    from tenants.errors import TenantRequired

    async def get_state(request: Request) -> Any:
        return request.app.state.commerce

    async def get_tenant(request: Request) -> TenantContext:
        tenant: TenantContext | None = request.scope.get("state", {}).get(TENANT_SCOPE_KEY)
        if tenant is None:
            raise TenantRequired()
        return tenant

    for alias, replacement in ((deps.State, get_state), (deps.Tenant, get_tenant)):
        depends = typing.get_args(alias)[1]
        object.__setattr__(depends, "dependency", replacement)
        if not inspect.iscoroutinefunction(typing.get_args(alias)[1].dependency):
            raise RuntimeError("could not patch api.deps")
