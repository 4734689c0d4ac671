"""The merchant's customers: records, addresses, and the shopper's own profile and addresses.

The rules:

* One row per person per shop (``customers``, shared with the shoppers' sign-in in ``auth.customers``):
  a customer the merchant records and a shopper who signs up with the same email are the same customer,
  so creating either with an email already known is 409 ``customer_already_exists``. Emails are compared
  lower-case. A recorded customer without a password gets an account through the password-reset mail,
  which proves they own the address (never by signing up over the record).
* ``external_id`` (the merchant's own id) is unique when set: 409 ``customer_external_id_taken``.
* A change to ``accepts_marketing`` records when it happened (``marketing_consent_updated_at``).
* At most one default shipping and one default billing address: making an address the default takes the
  flag from the previous one (a partial unique index is the backstop). At most 50 addresses.
* An erased customer (``erased_at``) never changes again: 409 ``customer_erased``.
* Every change bumps ``version`` and records one event (``customer.created|updated|deleted``) in the same
  transaction, with the customer as the admin API shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.customers import service as accounts
from auth.customers.models import Customer
from auth.customers.schemas import CustomerSignUp
from auth.principals import Principal
from auth.runtime import AuthRuntime
from commerce.customers import repository
from commerce.customers.errors import (
    CustomerAddressLimitReached,
    CustomerAddressNotFound,
    CustomerAlreadyExists,
    CustomerErased,
    CustomerExternalIdTaken,
    CustomerNotFound,
)
from commerce.customers.models import CustomerAddress
from commerce.customers.schemas import (
    AddressCreate,
    AddressUpdate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    ProfileUpdate,
)
from commerce.events import service as events
from core.clock import utcnow
from core.errors import VersionMismatch
from core.pagination import cursor_row, split_page

MAX_ADDRESSES = 50


def snapshot(customer: Customer) -> dict[str, Any]:
    """The customer as the admin API shows it: the data of its events."""
    return CustomerRead.model_validate(customer).model_dump(mode="json")


async def record(db: AsyncSession, kind: str, customer: Customer, actor: Principal | None) -> None:
    """The ``customer.<kind>`` event of a change, in the change's transaction."""
    await events.record(
        db,
        type=f"customer.{kind}",
        resource_id=customer.id,
        version=customer.version,
        data=snapshot(customer),
        actor=actor,
    )


# --- customers ---------------------------------------------------------------------------------------


async def list_customers(
    db: AsyncSession,
    *,
    limit: int,
    starting_after: str | None,
    q: str | None = None,
    email: str | None = None,
    external_id: str | None = None,
    tag: str | None = None,
) -> tuple[list[Customer], bool]:
    """A page of customers in creation order; ``q`` matches an email prefix, a name, or an external id exactly."""
    after = await cursor_row(starting_after, lambda customer_id: repository.get(db, customer_id))
    rows = await repository.list_page(db, limit, after=after, q=q, email=email, external_id=external_id, tag=tag)
    return split_page(rows, limit)


async def get_customer(db: AsyncSession, customer_id: uuid.UUID, *, lock: bool = False) -> Customer:
    customer = await repository.get(db, customer_id, lock=lock)
    if customer is None:
        raise CustomerNotFound()
    return customer


async def create_customer(db: AsyncSession, body: CustomerCreate, *, actor: Principal) -> Customer:
    """Record a customer (without a password: they may get an account later by resetting it)."""
    customer = Customer(
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        phone=body.phone,
        external_id=body.external_id,
        tags=body.tags,
        note=body.note,
        accepts_marketing=body.accepts_marketing,
        marketing_consent_updated_at=utcnow() if body.accepts_marketing else None,
        tax_exempt=body.tax_exempt,
        password_hash=None,
        version=1,
    )
    await _save(db, customer, lambda: db.add(customer))
    for address in body.addresses:
        await _add_address(db, customer, address)
    await record(db, "created", customer, actor)
    return customer


async def update_customer(
    db: AsyncSession, customer_id: uuid.UUID, body: CustomerUpdate, *, if_match: int | None, actor: Principal
) -> Customer:
    """Apply the given fields; with ``if_match``, refuse (412) if the customer changed since that version."""
    customer = await _changeable(db, customer_id, if_match=if_match)
    await _save(db, customer, lambda: _apply(customer, body.model_dump(exclude_unset=True)))
    await record(db, "updated", customer, actor)
    return customer


def _apply(customer: Customer, changes: dict[str, Any]) -> None:
    """Set the given fields and move the version; a change of consent records its time."""
    customer.version += 1
    if "accepts_marketing" in changes and changes["accepts_marketing"] != customer.accepts_marketing:
        customer.marketing_consent_updated_at = utcnow()
    for field, value in changes.items():
        setattr(customer, field, value)


async def _changeable(db: AsyncSession, customer_id: uuid.UUID, *, if_match: int | None = None) -> Customer:
    """The customer, locked, if it may change: not erased, and at ``if_match`` when given."""
    customer = await get_customer(db, customer_id, lock=True)
    if if_match is not None and customer.version != if_match:
        raise VersionMismatch(current_version=customer.version)
    if customer.erased_at is not None:
        raise CustomerErased()
    return customer


async def _save(db: AsyncSession, customer: Customer, change: Callable[[], None]) -> None:
    """Make the change and flush it in a savepoint, turning a unique violation (a concurrent writer's included)
    into the matching 409. The change is made inside the savepoint: ``begin_nested`` flushes what is pending
    first, and a violation flushed there would doom the whole transaction."""
    try:
        async with db.begin_nested():
            change()
            email, external_id = customer.email, customer.external_id  # the row is expired after a rollback
            await db.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint == "uq_customers_external_id":
            raise CustomerExternalIdTaken(external_id=external_id) from exc
        if constraint == "uq_customers_email":
            raise CustomerAlreadyExists(email=email) from exc
        raise


# --- addresses ---------------------------------------------------------------------------------------


async def list_addresses(db: AsyncSession, customer_id: uuid.UUID) -> list[CustomerAddress]:
    await get_customer(db, customer_id)
    return await repository.list_addresses(db, customer_id)


async def get_address(db: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID) -> CustomerAddress:
    await get_customer(db, customer_id)
    address = await repository.get_address(db, customer_id, address_id)
    if address is None:
        raise CustomerAddressNotFound()
    return address


async def add_address(
    db: AsyncSession, customer_id: uuid.UUID, body: AddressCreate, *, actor: Principal
) -> CustomerAddress:
    """A new address; the customer's first address becomes both defaults unless it says otherwise."""
    customer = await _changeable(db, customer_id)
    address = await _add_address(db, customer, body)
    await _touch(db, customer, actor)
    return address


async def update_address(
    db: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID, body: AddressUpdate, *, actor: Principal
) -> CustomerAddress:
    customer = await _changeable(db, customer_id)
    address = await repository.get_address(db, customer_id, address_id)
    if address is None:
        raise CustomerAddressNotFound()
    changes = body.model_dump(exclude_unset=True)
    await repository.clear_default(
        db,
        customer.id,
        shipping=bool(changes.get("is_default_shipping")),
        billing=bool(changes.get("is_default_billing")),
        keep=address.id,
    )
    for field, value in changes.items():
        setattr(address, field, value)
    await db.flush()
    await _touch(db, customer, actor)
    return address


async def delete_address(db: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID, *, actor: Principal) -> None:
    """Remove an address; if it was a default, the customer has no default of that kind until one is chosen."""
    customer = await _changeable(db, customer_id)
    address = await repository.get_address(db, customer_id, address_id)
    if address is None:
        raise CustomerAddressNotFound()
    await db.delete(address)
    await db.flush()
    await _touch(db, customer, actor)


async def _add_address(db: AsyncSession, customer: Customer, body: AddressCreate) -> CustomerAddress:
    count = await repository.count_addresses(db, customer.id)
    if count >= MAX_ADDRESSES:
        raise CustomerAddressLimitReached(limit=MAX_ADDRESSES)
    first = count == 0
    fields = body.model_dump()
    fields["is_default_shipping"] = body.is_default_shipping or (
        first and "is_default_shipping" not in body.model_fields_set
    )
    fields["is_default_billing"] = body.is_default_billing or (
        first and "is_default_billing" not in body.model_fields_set
    )
    await repository.clear_default(
        db, customer.id, shipping=fields["is_default_shipping"], billing=fields["is_default_billing"]
    )
    address = CustomerAddress(customer_id=customer.id, **fields)
    db.add(address)
    await db.flush()
    return address


async def _touch(db: AsyncSession, customer: Customer, actor: Principal) -> None:
    """An address changed: the customer's version moves and a ``customer.updated`` event is recorded."""
    customer.version += 1
    customer.updated_at = utcnow()
    await db.flush()
    await record(db, "updated", customer, actor)


# --- the shopper's own account (storefront, OAuth sign-up) ---------------------------------------------


async def sign_up(db: AsyncSession, auth: AuthRuntime, body: CustomerSignUp) -> Customer:
    """A shopper's new account at the OAuth server, recorded as ``customer.created``."""
    customer = await accounts.sign_up(db, auth, body)
    await record(db, "created", customer, actor=None)
    return customer


async def get_profile(db: AsyncSession, shopper: Principal) -> Customer:
    customer = await get_customer(db, shopper.id)
    if customer.erased_at is not None:
        raise CustomerNotFound()
    return customer


async def update_profile(db: AsyncSession, shopper: Principal, body: ProfileUpdate) -> Customer:
    """The shopper changes their own name, phone or marketing consent."""
    customer = await _changeable(db, shopper.id)
    _apply(customer, body.model_dump(exclude_unset=True))
    await db.flush()
    await record(db, "updated", customer, shopper)
    return customer
