"""Shoppers' accounts at one tenant's shop: sign-up, sign-in, profile, password reset.

Emails are unique per tenant, case-insensitively (stored lower-case); the same person may hold
accounts at many shops, each in its own schema, none aware of the others.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.action_tokens import service as action_tokens
from auth.action_tokens.models import Purpose
from auth.customers import repository
from auth.customers.errors import CustomerAlreadyExists, CustomerNotFound
from auth.customers.models import Customer
from auth.customers.schemas import CustomerSignUp
from auth.grants import service as grants
from auth.oauth import repository as oauth_repository
from auth.passwords import check_password_strength
from auth.runtime import AuthRuntime
from core import jobs
from core.clock import utcnow
from tenants.context import TenantContext


async def sign_up(db: AsyncSession, auth: AuthRuntime, body: CustomerSignUp) -> Customer:
    customer = Customer(
        email=body.email.lower(),
        name=body.name.strip(),
        password_hash=await auth.passwords.hash(check_password_strength(body.password)),
    )
    try:
        async with db.begin_nested():  # a concurrent sign-up with the same email loses on the unique constraint
            db.add(customer)
            await db.flush()
    except IntegrityError as exc:
        raise CustomerAlreadyExists() from exc
    return customer


async def sign_in(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, *, email: str, password: str, ip: str | None
) -> Customer:
    """The customer whose email and password these are; the same answer, and the same time, for unknown emails."""

    async def attempt() -> Customer | None:
        customer = await repository.get_by_email(db, email)
        valid = await auth.passwords.verify(customer.password_hash if customer else None, password)
        return customer if customer is not None and valid else None

    customer = await auth.sign_in("customer", tenant.id, account=email, ip=ip, attempt=attempt)
    customer.last_login_at = utcnow()
    return customer


async def get_customer(db: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await repository.get(db, customer_id)
    if customer is None:
        raise CustomerNotFound()
    return customer


async def request_password_reset(db: AsyncSession, *, email: str) -> None:
    """Queue the reset mail if the account exists. The caller answers the same either way (no account discovery)."""
    customer = await repository.get_by_email(db, email)
    if customer is not None:
        jobs.enqueue(db, "mail.send_password_reset", customer_id=str(customer.id))


async def reset_password(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, *, token: str, password: str
) -> Customer:
    """Set a new password with a mailed token; every token issued to the customer stops working."""
    check_password_strength(password)
    customer_id = await action_tokens.consume(db, auth, tenant.id, Purpose.PASSWORD_RESET, token)
    customer = await get_customer(db, customer_id)
    customer.password_hash = await auth.passwords.hash(password)
    await grants.revoke_held_by_customer(db, customer.id)
    await db.flush()
    return customer


async def find_customer(db: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """The customer behind a shopper's session, unless erased (an erased person has no account any more)."""
    customer = await repository.get(db, customer_id)
    return customer if customer is not None and customer.erased_at is None else None


async def end_access(db: AsyncSession, customer: Customer) -> None:
    """Close every way the customer could act as themselves: password, tokens, pending codes, mailed links.

    Clearing the password hash also ends every browser session at the OAuth server (sessions carry a
    fingerprint of it). Used by the GDPR erasure (``commerce.customers``).
    """
    customer.password_hash = None
    await db.flush()
    await grants.revoke_held_by_customer(db, customer.id)
    await oauth_repository.spend_codes_of_customer(db, customer.id, at=utcnow())
    await action_tokens.revoke_outstanding(db, Purpose.PASSWORD_RESET, customer.id)
