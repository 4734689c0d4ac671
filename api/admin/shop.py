from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import IfMatch, SettingsRead, SettingsWrite, TenantSession
from api.problems import problems
from commerce.shop import service as shop_service
from commerce.shop.errors import ShopNotFound
from commerce.shop.models import ShopSettings
from commerce.shop.schemas import ShopRead, ShopUpdate
from core.errors import VersionMismatch
from tenants.errors import TenantNotFound

router = APIRouter(prefix="/shop", tags=["admin: shop"])


# A route-level status replaces the router's entry for that status: repeat the tenant surface's 404.
@router.get("", response_model=ShopRead, operation_id="shop_get", responses=problems(ShopNotFound, TenantNotFound))
async def get_shop(db: TenantSession, staff: SettingsRead, response: Response) -> ShopSettings:
    """The shop's settings. The `ETag` (and `version`) go back in `If-Match` to update safely."""
    shop = await shop_service.get_shop(db)
    response.headers["ETag"] = f'"{shop.version}"'
    return shop


@router.patch(
    "",
    response_model=ShopRead,
    operation_id="shop_update",
    responses=problems(ShopNotFound, TenantNotFound, VersionMismatch),
)
async def update_shop(
    body: ShopUpdate, db: TenantSession, staff: SettingsWrite, if_match: IfMatch, response: Response
) -> ShopSettings:
    """Change the shop's settings. With `If-Match`, refuses (412) if they changed since that version."""
    shop = await shop_service.update_shop(db, body, if_match=if_match)
    response.headers["ETag"] = f'"{shop.version}"'
    return shop
