"""Staff members of a tenant: the owner is created at provisioning; staff log in on the tenant's host."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import InvalidCredentials, InvalidToken
from auth.passwords import Passwords
from auth.staff import repository
from auth.staff.models import StaffMember, StaffRole
from auth.tokens import Audience, IssuedToken, TokenSigner
from core.clock import utcnow
from tenants.context import TenantContext


async def create_owner(db: AsyncSession, *, email: str, password_hash: str) -> StaffMember:
    """The tenant's first staff member, with the ``owner`` role (exactly one per tenant)."""
    owner = StaffMember(email=email.lower(), password_hash=password_hash, role=StaffRole.OWNER)
    db.add(owner)
    await db.flush()
    return owner


async def issue_token(
    db: AsyncSession,
    passwords: Passwords,
    signer: TokenSigner,
    tenant: TenantContext,
    *,
    email: str,
    password: str,
) -> IssuedToken:
    """Exchange an active staff member's credentials for an ``admin`` token bound to this tenant."""
    member = await repository.get_by_email(db, email)
    valid = await passwords.verify(member.password_hash if member else None, password)
    if member is None or not valid or not member.is_active:
        raise InvalidCredentials()
    member.last_login_at = utcnow()
    return signer.issue(subject=member.id, audience=Audience.ADMIN, tenant_id=tenant.id, role=member.role.value)


async def authenticate(db: AsyncSession, signer: TokenSigner, tenant: TenantContext, token: str) -> StaffMember:
    """The active staff member an ``admin`` token belongs to, if the token was issued for this tenant.

    A token of another tenant fails closed here, before any tenant data is read.
    """
    claims = signer.verify(token, audience=Audience.ADMIN)
    if claims.tenant_id != tenant.id:
        raise InvalidToken()
    member = await repository.get_active(db, claims.subject)
    if member is None:
        raise InvalidToken()
    return member


async def count_active(db: AsyncSession) -> int:
    return await repository.count_active(db)
