"""Publishable keys (``pk_...``) for storefront web pages; managed with the API key scopes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import ApiKeysRead, ApiKeysWrite, State, Tenant, TenantSession
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.publishable_keys import service as publishable_keys_service
from auth.publishable_keys.errors import PublishableKeyLimitReached, PublishableKeyNotFound
from auth.publishable_keys.models import PublishableKey
from auth.publishable_keys.schemas import (
    PublishableKeyCreate,
    PublishableKeyCreated,
    PublishableKeyList,
    PublishableKeyRead,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/publishable-keys", tags=["admin: publishable keys"])


def _created(key: PublishableKey, secret: str) -> PublishableKeyCreated:
    return PublishableKeyCreated.model_validate({**PublishableKeyRead.model_validate(key).model_dump(), "key": secret})


@router.post(
    "",
    status_code=201,
    response_model=PublishableKeyCreated,
    operation_id="publishable_keys_create",
    responses=problems(PublishableKeyLimitReached),
)
async def create_publishable_key(
    body: PublishableKeyCreate, state: State, tenant: Tenant, db: TenantSession, staff: ApiKeysWrite
) -> PublishableKeyCreated:
    """Create a key for a storefront's web pages: it reads the public catalog, nothing else. `key` is shown once."""
    key, secret = await publishable_keys_service.create_key(db, state.auth, tenant, body, actor=staff)
    return _created(key, secret)


@router.get("", response_model=PublishableKeyList, operation_id="publishable_keys_list")
async def list_publishable_keys(db: TenantSession, staff: ApiKeysRead) -> PublishableKeyList:
    """The live keys, oldest first, without the keys themselves."""
    keys = await publishable_keys_service.list_keys(db)
    return PublishableKeyList(data=[PublishableKeyRead.model_validate(key) for key in keys])


@router.post(
    "/{key_id}/roll",
    response_model=PublishableKeyCreated,
    operation_id="publishable_keys_roll",
    responses=problems(PublishableKeyNotFound),
)
async def roll_publishable_key(
    key_id: uuid.UUID, state: State, tenant: Tenant, db: TenantSession, staff: ApiKeysWrite
) -> PublishableKeyCreated:
    """Replace the key; the old one stops working at once. The new `key` is in this response only."""
    key, secret = await publishable_keys_service.roll_key(db, state.auth, tenant, key_id)
    return _created(key, secret)


@router.delete(
    "/{key_id}",
    status_code=204,
    operation_id="publishable_keys_revoke",
    responses=problems(PublishableKeyNotFound),
)
async def revoke_publishable_key(key_id: uuid.UUID, db: TenantSession, staff: ApiKeysWrite) -> Response:
    """Revoke the key: it stops working at once."""
    await publishable_keys_service.revoke_key(db, key_id)
    return Response(status_code=204)
