from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from api.deps import OAuthClientsRead, OAuthClientsWrite, State, Tenant, TenantSession
from api.headers import no_store
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.oauth import service as oauth_service
from auth.oauth.errors import NotConfidential, OAuthClientLimitReached, OAuthClientNotFound
from auth.oauth.models import OAuthClient
from auth.oauth.schemas import (
    OAuthClientCreate,
    OAuthClientCreated,
    OAuthClientList,
    OAuthClientRead,
    OAuthClientUpdate,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/oauth-clients", tags=["admin: OAuth clients"])


def _created(client: OAuthClient, secret: str | None) -> OAuthClientCreated:
    return OAuthClientCreated.model_validate(
        {**OAuthClientRead.model_validate(client).model_dump(), "client_secret": secret}
    )


@router.post(
    "",
    status_code=201,
    response_model=OAuthClientCreated,
    dependencies=[Depends(no_store)],  # it carries a secret: no cache keeps it, nor the idempotency store
    operation_id="oauth_clients_create",
    responses=problems(OAuthClientLimitReached),
)
async def register_oauth_client(
    body: OAuthClientCreate, state: State, tenant: Tenant, db: TenantSession, staff: OAuthClientsWrite
) -> OAuthClientCreated:
    """Register a storefront. A confidential client's `client_secret` is in this response only."""
    client, secret = await oauth_service.register_client(db, state.auth, tenant, body)
    return _created(client, secret)


@router.get("", response_model=OAuthClientList, operation_id="oauth_clients_list")
async def list_oauth_clients(db: TenantSession, staff: OAuthClientsRead) -> OAuthClientList:
    """The live clients (at most 100 per shop), oldest first."""
    clients = await oauth_service.list_clients(db)
    return OAuthClientList(data=[OAuthClientRead.model_validate(client) for client in clients])


@router.get(
    "/{client_pk}",
    response_model=OAuthClientRead,
    operation_id="oauth_clients_get",
    responses=problems(OAuthClientNotFound),
)
async def get_oauth_client(client_pk: uuid.UUID, db: TenantSession, staff: OAuthClientsRead) -> OAuthClient:
    """One client, by its `id`."""
    return await oauth_service.get_client(db, client_pk)


@router.patch(
    "/{client_pk}",
    response_model=OAuthClientRead,
    operation_id="oauth_clients_update",
    responses=problems(OAuthClientNotFound),
)
async def update_oauth_client(
    client_pk: uuid.UUID, body: OAuthClientUpdate, db: TenantSession, staff: OAuthClientsWrite
) -> OAuthClient:
    """Change a client's name, redirect URIs, scopes or first-party flag."""
    return await oauth_service.update_client(db, client_pk, body)


@router.post(
    "/{client_pk}/roll-secret",
    response_model=OAuthClientCreated,
    dependencies=[Depends(no_store)],  # it carries a secret: no cache keeps it, nor the idempotency store
    operation_id="oauth_clients_roll_secret",
    responses=problems(OAuthClientNotFound, NotConfidential),
)
async def roll_oauth_client_secret(
    client_pk: uuid.UUID, state: State, tenant: Tenant, db: TenantSession, staff: OAuthClientsWrite
) -> OAuthClientCreated:
    """Replace a confidential client's secret; the old one stops working at once."""
    client, secret = await oauth_service.roll_secret(db, state.auth, tenant, client_pk)
    return _created(client, secret)


@router.delete(
    "/{client_pk}", status_code=204, operation_id="oauth_clients_revoke", responses=problems(OAuthClientNotFound)
)
async def revoke_oauth_client(client_pk: uuid.UUID, db: TenantSession, staff: OAuthClientsWrite) -> Response:
    """Revoke the client and every token it was issued."""
    await oauth_service.revoke_client(db, client_pk)
    return Response(status_code=204)
