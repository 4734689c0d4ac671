"""The credential check of every storefront request: an OAuth access token issued by this tenant."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import InvalidToken
from auth.grants import service as grants
from auth.grants.models import Holder
from auth.oauth import repository as oauth_repository
from auth.principals import Principal, PrincipalKind
from auth.services import AuthServices
from tenants.context import TenantContext


async def authenticate(db: AsyncSession, auth: AuthServices, tenant: TenantContext, access_token: str) -> Principal:
    """The live token's principal: a shopper (through a client) or a client acting for itself.

    A token of another tenant hashes differently and matches nothing here; a revoked client's tokens fail too.
    """
    token = await grants.find_access(db, auth.hasher, tenant.id, access_token)
    if token is None or token.holder is Holder.STAFF or token.client_id is None:
        raise InvalidToken()
    if await oauth_repository.get_live_client(db, token.client_id) is None:
        raise InvalidToken()
    if token.holder is Holder.CUSTOMER and token.customer_id is not None:
        kind, subject = PrincipalKind.CUSTOMER, token.customer_id
    else:
        kind, subject = PrincipalKind.CLIENT, token.client_id
    return Principal(
        kind=kind,
        id=subject,
        scopes=frozenset(token.scopes),
        token_family_id=token.family_id,
        client_id=token.client_id,
    )
