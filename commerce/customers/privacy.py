"""GDPR: a customer's data export, their erasure, and deletion.

* **Export**: ``request_export`` records a pending export and queues ``customers.export_data``; the job
  (``build_export``) writes the document into the export row, where the admin API reads it. The document
  holds everything stored about the customer: profile, addresses, sign-ins (tokens, by storefront, without
  secrets), marketing consent, and their events.
* **Erasure** anonymises the customer in place and for good: email (replaced by an address under the
  reserved ``.invalid`` domain, unique per customer), names, phone, external id, tags and note are cleared;
  addresses and data exports are deleted; the password, tokens, pending authorization codes and mailed links
  stop working, and so every browser session. Past events keep their type, ids and versions but their data
  becomes the anonymised snapshot. The row stays (``erased_at``, ``erased_by``), for the non-personal
  records later issues keep (orders). It is recorded as ``customer.erased``. Erasing again changes nothing
  and records nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.customers import service as accounts
from auth.customers.models import Customer
from auth.grants import repository as grants_repository
from auth.principals import Principal
from commerce.customers import repository
from commerce.customers import service as customers
from commerce.customers.errors import CustomerDataExportNotFound
from commerce.customers.models import CustomerDataExport, ExportStatus
from commerce.customers.schemas import AddressRead
from commerce.events import service as events
from core import jobs
from core.clock import utcnow
from core.errors import VersionMismatch

EXPORT_JOB = "customers.export_data"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox


# --- export ------------------------------------------------------------------------------------------


async def request_export(db: AsyncSession, customer_id: uuid.UUID, *, actor: Principal) -> CustomerDataExport:
    """A pending export of the customer's data; the job that builds it runs after the commit."""
    customer = await customers.get_customer(db, customer_id)
    export = CustomerDataExport(customer_id=customer.id, status=ExportStatus.PENDING, requested_by=actor.id)
    db.add(export)
    await db.flush()
    jobs.enqueue(db, EXPORT_JOB, export_id=str(export.id))
    return export


async def get_export(db: AsyncSession, customer_id: uuid.UUID, export_id: uuid.UUID) -> CustomerDataExport:
    await customers.get_customer(db, customer_id)
    export = await repository.get_export(db, customer_id, export_id)
    if export is None:
        raise CustomerDataExportNotFound()
    return export


async def build_export(db: AsyncSession, export_id: uuid.UUID) -> ExportStatus | None:
    """Fill a pending export with the customer's document (the job's body). Running it twice is harmless.

    None when the export no longer exists (the customer was erased or deleted since it was requested).
    """
    export = await repository.get_export_by_id(db, export_id, lock=True)
    if export is None:
        return None
    if export.status is ExportStatus.SUCCEEDED:
        return export.status
    customer = await customers.get_customer(db, export.customer_id)
    export.document = await export_document(db, customer)
    export.status = ExportStatus.SUCCEEDED
    export.completed_at = utcnow()
    await db.flush()
    return export.status


async def export_document(db: AsyncSession, customer: Customer) -> dict[str, Any]:
    """Everything stored about the customer, as JSON."""
    addresses = await repository.list_addresses(db, customer.id)
    grants = await grants_repository.list_held_by_customer(db, customer.id)
    history = await events.list_for_resource(db, customer.id)
    return {
        "object": "customer_data",
        "generated_at": utcnow().isoformat(),
        "profile": customers.snapshot(customer),
        "addresses": [AddressRead.model_validate(address).model_dump(mode="json") for address in addresses],
        "consents": {
            "marketing": {
                "accepts_marketing": customer.accepts_marketing,
                "updated_at": _iso(customer.marketing_consent_updated_at),
            },
            "storefronts": sorted({name for _, name in grants if name}),
        },
        "sessions": [
            {
                "storefront": name,
                "scopes": token.scopes,
                "signed_in_at": _iso(token.created_at),
                "access_expires_at": _iso(token.access_expires_at),
                "refresh_expires_at": _iso(token.refresh_expires_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token, name in grants
        ],
        "events": [{"type": event.type, "created_at": _iso(event.created_at), "data": event.data} for event in history],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- erasure and deletion ----------------------------------------------------------------------------


async def erase_customer(db: AsyncSession, customer_id: uuid.UUID, *, actor: Principal) -> Customer:
    """Anonymise the customer's personal data in place, for good (see the module's docstring). Idempotent."""
    customer = await customers.get_customer(db, customer_id, lock=True)
    if customer.erased_at is not None:
        return customer
    await accounts.end_access(db, customer)
    await repository.delete_addresses(db, customer.id)
    await repository.delete_exports(db, customer.id)
    customer.email = f"erased-{customer.id.hex}@{ERASED_EMAIL_DOMAIN}"
    customer.name = customer.first_name = customer.last_name = customer.note = ""
    customer.phone = customer.external_id = None
    customer.tags = []
    customer.accepts_marketing = False
    customer.erased_at = customer.marketing_consent_updated_at = utcnow()
    customer.erased_by = actor.id
    customer.version += 1
    await db.flush()
    anonymised = customers.snapshot(customer)
    await redact_events(db, customer, anonymised)
    await customers.record(db, "erased", customer, actor)
    return customer


async def delete_customer(db: AsyncSession, customer_id: uuid.UUID, *, if_match: int | None, actor: Principal) -> None:
    """Delete the customer with their addresses, exports and sign-ins; their past events keep no personal data.

    The ``customer.deleted`` event carries the id only.
    """
    customer = await customers.get_customer(db, customer_id, lock=True)
    if if_match is not None and customer.version != if_match:
        raise VersionMismatch(current_version=customer.version)
    await accounts.end_access(db, customer)
    await redact_events(db, customer, {"object": "customer", "id": str(customer.id), "deleted": True})
    version = customer.version + 1
    await repository.delete_customer(db, customer)
    await events.record(
        db,
        type="customer.deleted",
        resource_id=customer_id,
        version=version,
        data={"id": str(customer_id)},
        actor=actor,
    )


async def redact_events(db: AsyncSession, customer: Customer, data: dict[str, Any]) -> None:
    """Replace the data of the customer's past events with ``data`` (their type, ids and order stay)."""
    await events.redact_resource(db, customer.id, data)
