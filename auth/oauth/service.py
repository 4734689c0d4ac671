"""OAuth clients: the storefronts a merchant registers (public SPAs and apps, confidential servers)."""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from auth.grants import service as grants
from auth.oauth import repository
from auth.oauth.errors import InvalidPostLogoutRedirect, NotConfidential, OAuthClientLimitReached, OAuthClientNotFound
from auth.oauth.models import ClientKind, OAuthClient
from auth.oauth.schemas import OAuthClientCreate, OAuthClientUpdate
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, new_secret
from core.clock import utcnow
from tenants.context import TenantContext

MAX_CLIENTS = 100


async def register_client(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, body: OAuthClientCreate
) -> tuple[OAuthClient, str | None]:
    """A new client; a confidential one gets a secret, returned here once and stored as a keyed hash."""
    if await repository.count_live_clients(db) >= MAX_CLIENTS:
        raise OAuthClientLimitReached()
    secret = new_secret(SecretKind.CLIENT_SECRET) if body.kind is ClientKind.CONFIDENTIAL else None
    client = OAuthClient(
        client_id=f"cl_{secrets.token_urlsafe(16)}",
        name=body.name,
        kind=body.kind,
        secret_hash=auth.hasher.hash(secret, tenant_id=tenant.id) if secret else None,
        redirect_uris=body.redirect_uris,
        scopes=body.scopes,
        first_party=body.first_party,
    )
    db.add(client)
    await db.flush()
    return client, secret


async def list_clients(db: AsyncSession) -> list[OAuthClient]:
    return await repository.list_live_clients(db)


async def get_client(db: AsyncSession, client_pk: uuid.UUID) -> OAuthClient:
    client = await repository.get_live_client(db, client_pk)
    if client is None:
        raise OAuthClientNotFound()
    return client


async def update_client(db: AsyncSession, client_pk: uuid.UUID, body: OAuthClientUpdate) -> OAuthClient:
    """Change a client. Narrowing its scopes does not touch tokens already issued; revoke the client for that."""
    client = await get_client(db, client_pk)
    for field, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(client, field, value)
    await db.flush()
    return client


async def roll_secret(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, client_pk: uuid.UUID
) -> tuple[OAuthClient, str]:
    client = await get_client(db, client_pk)
    if client.kind is not ClientKind.CONFIDENTIAL:
        raise NotConfidential()
    secret = new_secret(SecretKind.CLIENT_SECRET)
    client.secret_hash = auth.hasher.hash(secret, tenant_id=tenant.id)
    await db.flush()
    return client, secret


async def revoke_client(db: AsyncSession, client_pk: uuid.UUID) -> None:
    """The client stops working, and so does every token it was issued."""
    client = await get_client(db, client_pk)
    client.revoked_at = utcnow()
    await grants.revoke_held_by_client(db, client.id)
    await db.flush()


async def browser_origins(db: AsyncSession) -> frozenset[str]:
    """The web origins of the tenant's live clients' redirect URIs: where its browser storefronts run."""
    origins = set()
    for client in await repository.list_live_clients(db):
        for uri in client.redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return frozenset(origins)


async def post_logout_redirect(db: AsyncSession, client_id: str | None, uri: str | None) -> str | None:
    """Where to send the shopper after signing out: ``uri`` if it is one of the live client's redirect URIs.

    The registered redirect URIs double as post-logout URIs (exact match), so no new address becomes
    a target. No ``uri``: stay on our page. A ``uri`` without a client, or not registered: refused.
    """
    if not uri:
        return None
    client = await repository.get_live_client_by_client_id(db, client_id) if client_id else None
    if client is None or uri not in client.redirect_uris:
        raise InvalidPostLogoutRedirect()
    return uri
