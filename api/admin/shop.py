from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import IfMatch, SettingsRead, SettingsWrite, TenantRead, TenantSession, etag
from api.idempotency import IdempotentRoute
from api.problems import problems
from api.responses import model_response
from commerce.shop import service as shop_service
from commerce.shop.errors import ShopNotFound
from commerce.shop.schemas import ShopRead, ShopUpdate
from core.errors import VersionMismatch
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/shop", tags=["admin: shop"])


# A route-level status replaces the router's entry for that status: repeat the tenant surface's 404.
@router.get("", response_model=ShopRead, operation_id="shop_get", responses=problems(ShopNotFound, TenantNotFound))
async def get_shop(reader: TenantRead, staff: SettingsRead) -> Response:
    """The shop's settings. The `ETag` (and `version`) go back in `If-Match` to update safely."""
    shop = await shop_service.read_shop(reader)
    return model_response(ShopRead, shop, headers={"ETag": etag(shop["version"])})


@router.patch(
    "",
    response_model=ShopRead,
    operation_id="shop_update",
    responses=problems(ShopNotFound, TenantNotFound, VersionMismatch),
)
async def update_shop(body: ShopUpdate, db: TenantSession, staff: SettingsWrite, if_match: IfMatch) -> Response:
    """Change the shop's settings. With `If-Match`, refuses (412) if they changed since that version."""
    shop = await shop_service.update_shop(db, body, if_match=if_match)
    return model_response(ShopRead, shop, headers={"ETag": etag(shop["version"])})
