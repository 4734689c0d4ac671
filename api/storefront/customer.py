from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import CustomerProfile, TenantSession
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.customers.models import Customer
from commerce.customers import service as customers_service
from commerce.customers.errors import CustomerAddressLimitReached, CustomerAddressNotFound, CustomerNotFound
from commerce.customers.models import CustomerAddress
from commerce.customers.schemas import AddressCreate, AddressRead, AddressUpdate, ProfileRead, ProfileUpdate
from core.pagination import Page
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/customer", tags=["storefront: customer"])

_NOT_FOUND = (CustomerNotFound, TenantNotFound)


@router.get("", response_model=ProfileRead, operation_id="storefront_customer_get", responses=problems(*_NOT_FOUND))
async def get_customer(db: TenantSession, shopper: CustomerProfile) -> Customer:
    """The signed-in shopper's profile (a shopper's token with `customer:profile`)."""
    return await customers_service.get_profile(db, shopper)


@router.patch(
    "", response_model=ProfileRead, operation_id="storefront_customer_update", responses=problems(*_NOT_FOUND)
)
async def update_customer(body: ProfileUpdate, db: TenantSession, shopper: CustomerProfile) -> Customer:
    """Change the signed-in shopper's name, phone or marketing consent (the consent's time is recorded)."""
    return await customers_service.update_profile(db, shopper, body)


@router.get(
    "/addresses",
    response_model=Page[AddressRead],
    operation_id="storefront_customer_addresses_list",
    responses=problems(*_NOT_FOUND),
)
async def list_my_addresses(db: TenantSession, shopper: CustomerProfile) -> Page[AddressRead]:
    """The signed-in shopper's addresses (at most 50), oldest first."""
    rows = await customers_service.list_addresses(db, shopper.id)
    return Page[AddressRead].model_validate({"data": rows, "has_more": False}, from_attributes=True)


@router.post(
    "/addresses",
    status_code=201,
    response_model=AddressRead,
    operation_id="storefront_customer_addresses_create",
    responses=problems(*_NOT_FOUND, CustomerAddressLimitReached),
)
async def create_my_address(body: AddressCreate, db: TenantSession, shopper: CustomerProfile) -> CustomerAddress:
    """Add an address; the first one becomes the default shipping and billing address."""
    return await customers_service.add_address(db, shopper.id, body, actor=shopper)


@router.get(
    "/addresses/{address_id}",
    response_model=AddressRead,
    operation_id="storefront_customer_addresses_get",
    responses=problems(*_NOT_FOUND, CustomerAddressNotFound),
)
async def get_my_address(address_id: uuid.UUID, db: TenantSession, shopper: CustomerProfile) -> CustomerAddress:
    return await customers_service.get_address(db, shopper.id, address_id)


@router.patch(
    "/addresses/{address_id}",
    response_model=AddressRead,
    operation_id="storefront_customer_addresses_update",
    responses=problems(*_NOT_FOUND, CustomerAddressNotFound),
)
async def update_my_address(
    address_id: uuid.UUID, body: AddressUpdate, db: TenantSession, shopper: CustomerProfile
) -> CustomerAddress:
    return await customers_service.update_address(db, shopper.id, address_id, body, actor=shopper)


@router.delete(
    "/addresses/{address_id}",
    status_code=204,
    operation_id="storefront_customer_addresses_delete",
    responses=problems(*_NOT_FOUND, CustomerAddressNotFound),
)
async def delete_my_address(address_id: uuid.UUID, db: TenantSession, shopper: CustomerProfile) -> None:
    await customers_service.delete_address(db, shopper.id, address_id, actor=shopper)
