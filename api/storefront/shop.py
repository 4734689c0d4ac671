from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import StorefrontToken, TenantRead
from api.idempotency import IdempotentRoute
from api.problems import problems
from api.responses import model_response
from commerce.shop import service as shop_service
from commerce.shop.errors import ShopNotFound
from commerce.shop.schemas import StorefrontShopRead
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/shop", tags=["storefront: shop"])


@router.get(
    "",
    response_model=StorefrontShopRead,
    operation_id="storefront_shop_get",
    responses=problems(ShopNotFound, TenantNotFound),
)
async def get_storefront_shop(reader: TenantRead, token: StorefrontToken) -> Response:
    """Public facts about the shop, for any storefront token of this tenant."""
    return model_response(StorefrontShopRead, await shop_service.read_shop(reader))
