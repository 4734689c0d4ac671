from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from api.deps import ApiKeysRead, ApiKeysWrite, State, Tenant, TenantSession
from api.headers import no_store
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.api_keys import service as api_keys_service
from auth.api_keys.errors import ApiKeyLimitReached, ApiKeyNotFound
from auth.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead

router = APIRouter(route_class=IdempotentRoute, prefix="/api-keys", tags=["admin: API keys"])


def _created(key: object, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "secret": secret})


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreated,
    dependencies=[Depends(no_store)],  # it carries a secret: no cache keeps it, nor the idempotency store
    operation_id="api_keys_create",
    responses=problems(ApiKeyLimitReached),
)
async def create_api_key(
    body: ApiKeyCreate, state: State, tenant: Tenant, db: TenantSession, staff: ApiKeysWrite
) -> ApiKeyCreated:
    """Create a secret key with the given scopes. The `secret` is in this response only."""
    key, secret = await api_keys_service.create_key(db, state.auth, tenant, body, actor=staff)
    return _created(key, secret)


@router.get("", response_model=ApiKeyList, operation_id="api_keys_list")
async def list_api_keys(db: TenantSession, staff: ApiKeysRead) -> ApiKeyList:
    """The live keys (at most 100 per shop), oldest first, without their secrets."""
    keys = await api_keys_service.list_keys(db)
    return ApiKeyList(data=[ApiKeyRead.model_validate(key) for key in keys])


@router.post(
    "/{key_id}/roll",
    response_model=ApiKeyCreated,
    dependencies=[Depends(no_store)],  # it carries a secret: no cache keeps it, nor the idempotency store
    operation_id="api_keys_roll",
    responses=problems(ApiKeyNotFound),
)
async def roll_api_key(
    key_id: uuid.UUID, state: State, tenant: Tenant, db: TenantSession, staff: ApiKeysWrite
) -> ApiKeyCreated:
    """Replace the key's secret; the old one stops working at once. The new `secret` is in this response only."""
    key, secret = await api_keys_service.roll_key(db, state.auth, tenant, key_id)
    return _created(key, secret)


@router.delete("/{key_id}", status_code=204, operation_id="api_keys_revoke", responses=problems(ApiKeyNotFound))
async def revoke_api_key(key_id: uuid.UUID, db: TenantSession, staff: ApiKeysWrite) -> Response:
    """Revoke the key: it stops working at once."""
    await api_keys_service.revoke_key(db, key_id)
    return Response(status_code=204)
