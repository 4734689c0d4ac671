"""What each staff role may do: the scopes a role grants, read on every request (a role change applies at once)."""

from __future__ import annotations

from auth.scopes import ADMIN_SCOPES
from auth.staff.models import StaffRole

_ALL = ADMIN_SCOPES.keys()
_READ = frozenset(scope for scope in _ALL if scope.endswith(":read"))

ROLE_SCOPES: dict[StaffRole, frozenset[str]] = {
    StaffRole.OWNER: frozenset(_ALL),
    StaffRole.ADMIN: frozenset(_ALL),
    StaffRole.STAFF: (
        _READ | {"products:write", "inventory:write", "orders:write", "customers:write", "discounts:write"}
    )
    - {"api_keys:read", "oauth_clients:read"},
    StaffRole.READ_ONLY: _READ - {"api_keys:read", "oauth_clients:read"},
}
