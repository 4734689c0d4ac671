from __future__ import annotations

from fastapi import APIRouter

from api.deps import StorefrontToken, TenantSession
from api.problems import problems
from commerce.shop import service as shop_service
from commerce.shop.errors import ShopNotFound
from commerce.shop.models import ShopSettings
from commerce.shop.schemas import StorefrontShopRead
from tenants.errors import TenantNotFound

router = APIRouter(prefix="/shop", tags=["storefront: shop"])


@router.get(
    "",
    response_model=StorefrontShopRead,
    operation_id="storefront_shop_get",
    responses=problems(ShopNotFound, TenantNotFound),
)
async def get_storefront_shop(db: TenantSession, token: StorefrontToken) -> ShopSettings:
    """Public facts about the shop, for any storefront token of this tenant."""
    return await shop_service.get_shop(db)
