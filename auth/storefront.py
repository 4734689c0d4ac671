"""The credential check of every storefront request: an OAuth access token issued by this tenant."""

from __future__ import annotations

from auth.credentials import Surface, Verified
from auth.errors import InvalidToken
from auth.grants.models import Holder
from auth.oauth import repository as oauth_repository
from auth.principals import Principal, PrincipalKind
from auth.runtime import AuthRuntime
from core.clock import utcnow
from core.db import TenantReader
from tenants.context import TenantContext


async def authenticate(reader: TenantReader, auth: AuthRuntime, tenant: TenantContext, access_token: str) -> Principal:
    """The live token's principal: a shopper (through a client) or a client acting for itself.

    A token of another tenant hashes differently and matches nothing here; a revoked client's tokens fail too.
    Verified tokens are cached (``auth.credentials``); revocations clear them.
    """
    access_hash = auth.hasher.hash(access_token, tenant_id=tenant.id)

    async def load() -> Verified | None:
        row = await oauth_repository.get_live_storefront_credential(reader, access_hash, now=utcnow())
        if row is None:
            return None
        if row["holder"] == Holder.CUSTOMER and row["customer_id"] is not None:
            kind, subject = PrincipalKind.CUSTOMER, row["customer_id"]
        else:
            kind, subject = PrincipalKind.CLIENT, row["client_id"]
        principal = Principal(
            kind=kind,
            id=subject,
            scopes=frozenset(row["scope"].split()),
            token_family_id=row["family_id"],
            client_id=row["client_id"],
        )
        return principal, row["access_expires_at"]

    principal = await auth.credentials.verify(tenant.id, Surface.STOREFRONT, access_hash, load)
    if principal is None:
        raise InvalidToken()
    return principal
