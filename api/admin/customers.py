from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CustomersRead, CustomersWrite, IfMatch, TenantSession, tag
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.customers.models import Customer
from commerce.customers import privacy
from commerce.customers import service as customers_service
from commerce.customers.errors import (
    CustomerAddressLimitReached,
    CustomerAddressNotFound,
    CustomerAlreadyExists,
    CustomerDataExportNotFound,
    CustomerErased,
    CustomerExternalIdTaken,
    CustomerNotFound,
)
from commerce.customers.models import CustomerAddress, CustomerDataExport
from commerce.customers.schemas import (
    AddressCreate,
    AddressRead,
    AddressUpdate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    DataExportRead,
    SearchText,
)
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/customers", tags=["admin: customers"])


_NOT_FOUND = (CustomerNotFound, TenantNotFound)


@router.get("", response_model=Page[CustomerRead], operation_id="customers_list", responses=problems(InvalidCursor))
async def list_customers(
    db: TenantSession,
    staff: CustomersRead,
    q: Annotated[SearchText | None, Query(description="Email prefix, part of a name, or an exact external id.")] = None,
    email: Annotated[SearchText | None, Query(description="Exactly this email (case-insensitive).")] = None,
    external_id: Annotated[SearchText | None, Query(description="Exactly this external id.")] = None,
    tag: Annotated[SearchText | None, Query(description="Customers with this tag.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    starting_after: Annotated[Text | None, Query(description="Id of the last customer of the previous page.")] = None,
) -> Page[CustomerRead]:
    """Customers in the order they were created, a page at a time, optionally searched or filtered."""
    rows, has_more = await customers_service.list_customers(
        db, limit=limit, starting_after=starting_after, q=q, email=email, external_id=external_id, tag=tag
    )
    return Page[CustomerRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=CustomerRead,
    operation_id="customers_create",
    responses=problems(CustomerAlreadyExists, CustomerExternalIdTaken),
)
async def create_customer(
    body: CustomerCreate, db: TenantSession, staff: CustomersWrite, response: Response
) -> Customer:
    """Record a customer (with up to 10 addresses). They have no password until they reset it."""
    return tag(response, await customers_service.create_customer(db, body, actor=staff))


@router.get(
    "/{customer_id}", response_model=CustomerRead, operation_id="customers_get", responses=problems(*_NOT_FOUND)
)
async def get_customer(customer_id: uuid.UUID, db: TenantSession, staff: CustomersRead, response: Response) -> Customer:
    return tag(response, await customers_service.get_customer(db, customer_id))


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    operation_id="customers_update",
    responses=problems(*_NOT_FOUND, CustomerAlreadyExists, CustomerExternalIdTaken, CustomerErased, VersionMismatch),
)
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    db: TenantSession,
    staff: CustomersWrite,
    if_match: IfMatch,
    response: Response,
) -> Customer:
    """Change the given fields. With `If-Match`, refuses (412) if the customer changed since that version."""
    customer = await customers_service.update_customer(db, customer_id, body, if_match=if_match, actor=staff)
    return tag(response, customer)


@router.delete(
    "/{customer_id}",
    status_code=204,
    operation_id="customers_delete",
    responses=problems(*_NOT_FOUND, VersionMismatch),
)
async def delete_customer(customer_id: uuid.UUID, db: TenantSession, staff: CustomersWrite, if_match: IfMatch) -> None:
    """Delete the customer, their addresses and sign-ins; their past events keep no personal data."""
    await privacy.delete_customer(db, customer_id, if_match=if_match, actor=staff)


@router.post(
    "/{customer_id}/erase",
    response_model=CustomerRead,
    operation_id="customers_erase",
    responses=problems(*_NOT_FOUND),
)
async def erase_customer(customer_id: uuid.UUID, db: TenantSession, staff: CustomersWrite) -> Customer:
    """GDPR erasure: anonymise the customer's personal data in place, end their sign-ins. Irreversible;
    erasing again answers the same and changes nothing."""
    return await privacy.erase_customer(db, customer_id, actor=staff)


@router.post(
    "/{customer_id}/data-export",
    status_code=202,
    response_model=DataExportRead,
    operation_id="customers_request_data_export",
    responses=problems(*_NOT_FOUND),
)
async def request_customer_data_export(
    customer_id: uuid.UUID, db: TenantSession, staff: CustomersWrite
) -> CustomerDataExport:
    """GDPR access: start building a JSON document of everything stored about the customer (a background job).
    Poll the export until `status` is `succeeded`."""
    return await privacy.request_export(db, customer_id, actor=staff)


@router.get(
    "/{customer_id}/data-exports/{export_id}",
    response_model=DataExportRead,
    operation_id="customers_get_data_export",
    responses=problems(*_NOT_FOUND, CustomerDataExportNotFound),
)
async def get_customer_data_export(
    customer_id: uuid.UUID, export_id: uuid.UUID, db: TenantSession, staff: CustomersRead
) -> CustomerDataExport:
    return await privacy.get_export(db, customer_id, export_id)


# --- addresses ---------------------------------------------------------------------------------------


@router.get(
    "/{customer_id}/addresses",
    response_model=Page[AddressRead],
    operation_id="customer_addresses_list",
    responses=problems(*_NOT_FOUND),
)
async def list_customer_addresses(customer_id: uuid.UUID, db: TenantSession, staff: CustomersRead) -> Page[AddressRead]:
    """All the customer's addresses (at most 50), oldest first."""
    rows = await customers_service.list_addresses(db, customer_id)
    return Page[AddressRead].model_validate({"data": rows, "has_more": False}, from_attributes=True)


@router.post(
    "/{customer_id}/addresses",
    status_code=201,
    response_model=AddressRead,
    operation_id="customer_addresses_create",
    responses=problems(*_NOT_FOUND, CustomerErased, CustomerAddressLimitReached),
)
async def create_customer_address(
    customer_id: uuid.UUID, body: AddressCreate, db: TenantSession, staff: CustomersWrite
) -> CustomerAddress:
    return await customers_service.add_address(db, customer_id, body, actor=staff)


@router.get(
    "/{customer_id}/addresses/{address_id}",
    response_model=AddressRead,
    operation_id="customer_addresses_get",
    responses=problems(*_NOT_FOUND, CustomerAddressNotFound),
)
async def get_customer_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, db: TenantSession, staff: CustomersRead
) -> CustomerAddress:
    return await customers_service.get_address(db, customer_id, address_id)


@router.patch(
    "/{customer_id}/addresses/{address_id}",
    response_model=AddressRead,
    operation_id="customer_addresses_update",
    responses=problems(*_NOT_FOUND, CustomerAddressNotFound, CustomerErased),
)
async def update_customer_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, body: AddressUpdate, db: TenantSession, staff: CustomersWrite
) -> CustomerAddress:
    return await customers_service.update_address(db, customer_id, address_id, body, actor=staff)


@router.delete(
    "/{customer_id}/addresses/{address_id}",
    status_code=204,
    operation_id="customer_addresses_delete",
    responses=problems(*_NOT_FOUND, CustomerAddressNotFound, CustomerErased),
)
async def delete_customer_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, db: TenantSession, staff: CustomersWrite
) -> None:
    await customers_service.delete_address(db, customer_id, address_id, actor=staff)
