"""Who is calling: the authenticated principal of each surface, with the scopes it holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from auth.errors import MissingScope


class PrincipalKind(StrEnum):
    STAFF = "staff"
    API_KEY = "api_key"  # pragma: allowlist secret - a kind of principal
    CUSTOMER = "customer"
    CLIENT = "client"
    PUBLISHABLE_KEY = "publishable_key"  # pragma: allowlist secret - a kind of principal


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID  # the staff member, API key, customer, OAuth client or publishable key
    scopes: frozenset[str]
    token_family_id: uuid.UUID | None = None  # what logout revokes
    client_id: uuid.UUID | None = None  # the OAuth client a storefront token was issued to

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise MissingScope(scope)
