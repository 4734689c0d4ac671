from __future__ import annotations

from fastapi import APIRouter

from api.deps import CustomerProfile, TenantSession
from api.problems import problems
from auth.customers import service as customers_service
from auth.customers.errors import CustomerNotFound
from auth.customers.models import Customer
from auth.customers.schemas import CustomerRead, CustomerUpdate
from tenants.errors import TenantNotFound

router = APIRouter(prefix="/customer", tags=["storefront: customer"])


@router.get(
    "",
    response_model=CustomerRead,
    operation_id="storefront_customer_get",
    responses=problems(CustomerNotFound, TenantNotFound),
)
async def get_customer(db: TenantSession, shopper: CustomerProfile) -> Customer:
    """The signed-in shopper's profile (a shopper's token with `customer:profile`)."""
    return await customers_service.get_customer(db, shopper.id)


@router.patch(
    "",
    response_model=CustomerRead,
    operation_id="storefront_customer_update",
    responses=problems(CustomerNotFound, TenantNotFound),
)
async def update_customer(body: CustomerUpdate, db: TenantSession, shopper: CustomerProfile) -> Customer:
    """Change the signed-in shopper's profile."""
    return await customers_service.update_profile(db, shopper.id, body)
