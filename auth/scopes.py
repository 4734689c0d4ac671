"""Scopes: what a credential may do. ``x:write`` implies ``x:read``.

Staff get their scopes from their role at request time (a role change applies at once); API keys
and OAuth clients carry an explicit list chosen when they were created.
"""

from __future__ import annotations

from collections.abc import Iterable

# The merchant's admin API (staff tokens and API keys).
ADMIN_SCOPES: dict[str, str] = {
    "products:read": "Read the catalog.",
    "products:write": "Create and change products.",
    "inventory:read": "Read stock locations, levels and the adjustment ledger.",
    "inventory:write": "Manage locations and adjust stock.",
    "orders:read": "Read orders.",
    "orders:write": "Change, fulfil and refund orders.",
    "customers:read": "Read customers.",
    "customers:write": "Change customers.",
    "shipping:read": "Read shipping zones and rates.",
    "shipping:write": "Manage shipping zones and rates.",
    "taxes:read": "Read tax classes and tax rates.",
    "taxes:write": "Manage tax classes and tax rates.",
    "discounts:read": "Read discount codes.",
    "discounts:write": "Create, change and delete discount codes.",
    "settings:read": "Read the shop's settings and billing status.",
    "settings:write": "Change the shop's settings and billing onboarding.",
    "staff:read": "List staff members.",
    "staff:write": "Invite, change and deactivate staff members.",
    "api_keys:read": "List API keys.",
    "api_keys:write": "Create, roll and revoke API keys.",
    "oauth_clients:read": "List OAuth clients.",
    "oauth_clients:write": "Register, change and revoke OAuth clients.",
    "events:read": "Read the event log (snapshots of every changed resource).",
}

# Storefronts (OAuth 2.0 clients of the tenant) and their signed-in shoppers.
STOREFRONT_SCOPES: dict[str, str] = {
    "storefront:catalog": "Read the public catalog and shop information.",
    "storefront:carts": "Create and change carts.",
    "customer:profile": "Read and change the signed-in shopper's profile.",
    "customer:orders": "Read the signed-in shopper's orders.",
}

# What a publishable key (``pk_...``, embedded in web pages) may do: read the public catalog, nothing else.
PUBLISHABLE_KEY_SCOPES = frozenset({"storefront:catalog"})

# Scopes a client may use without a shopper (client_credentials): never a customer:* scope.
CLIENT_ONLY_SCOPES = frozenset(scope for scope in STOREFRONT_SCOPES if scope.startswith("storefront:"))


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes granted, with the ``read`` implied by each ``write``."""
    granted = set(scopes)
    granted |= {scope.removesuffix(":write") + ":read" for scope in granted if scope.endswith(":write")}
    return frozenset(granted)


def unknown(scopes: Iterable[str], known: Iterable[str]) -> list[str]:
    allowed = set(known)
    return sorted(scope for scope in set(scopes) if scope not in allowed)


def parse(scope: str | None) -> list[str]:
    """An OAuth ``scope`` parameter (space-delimited) as a sorted list without duplicates."""
    return sorted(set((scope or "").split()))
