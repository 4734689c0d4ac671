"""Staff members of a tenant: sign-in, refresh, sign-out, and the token check of every admin request.

The owner is created at provisioning. Staff scopes come from the member's current role on every
request, so a role change or a deactivation applies to tokens already issued.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.errors import InvalidRefreshToken, InvalidToken, RefreshTokenReused
from auth.grants import service as grants
from auth.grants.models import Holder, Token
from auth.principals import Principal, PrincipalKind
from auth.services import AuthServices
from auth.staff import repository
from auth.staff.models import StaffMember, StaffRole
from core.clock import utcnow
from tenants.context import TenantContext


async def create_owner(db: AsyncSession, *, email: str, password_hash: str) -> StaffMember:
    """The tenant's first staff member, with the ``owner`` role (exactly one per tenant)."""
    owner = StaffMember(email=email.lower(), password_hash=password_hash, role=StaffRole.OWNER)
    db.add(owner)
    await db.flush()
    return owner


async def sign_in(
    db: AsyncSession, auth: AuthServices, tenant: TenantContext, *, email: str, password: str, ip: str | None
) -> grants.IssuedTokens:
    """Exchange an active staff member's credentials for an access token and a refresh token of this tenant."""

    async def attempt() -> StaffMember | None:
        member = await repository.get_by_email(db, email)
        valid = await auth.passwords.verify(member.password_hash if member else None, password)
        return member if member is not None and valid and member.is_active else None

    member = await auth.sign_in("staff", tenant.id, account=email, ip=ip, attempt=attempt)
    member.last_login_at = utcnow()
    return await _issue(db, auth, tenant, member)


async def refresh(
    db: AsyncSession, auth: AuthServices, tenant: TenantContext, refresh_token: str
) -> grants.IssuedTokens:
    """Rotate: the refresh token is spent and a new pair issued. A spent token presented again revokes the sign-in."""
    token = await grants.find_refresh(db, auth.hasher, tenant.id, refresh_token)
    if token is None or token.holder is not Holder.STAFF or token.staff_id is None:
        raise InvalidRefreshToken()
    if grants.is_reuse(token):
        await grants.revoke_family(db, token.family_id)
        raise RefreshTokenReused()
    if not grants.is_refresh_usable(token):
        raise InvalidRefreshToken()
    member = await repository.get_active(db, token.staff_id)
    if member is None:
        raise InvalidRefreshToken()
    await grants.mark_rotated(db, token)
    return await _issue(db, auth, tenant, member, rotated_from=token)


async def sign_out(db: AsyncSession, principal: Principal) -> None:
    """Revoke the caller's sign-in: its access token and every refresh token of its family."""
    if principal.token_family_id is not None:
        await grants.revoke_family(db, principal.token_family_id)


async def authenticate(db: AsyncSession, auth: AuthServices, tenant: TenantContext, access_token: str) -> Principal:
    """The active staff member behind a staff access token presented to this tenant, with their role's scopes.

    A token of another tenant hashes differently and matches nothing: it fails closed before any data is read.
    """
    found = await grants.find_staff_access(db, auth.hasher, tenant.id, access_token)
    if found is None:
        raise InvalidToken()
    token, member = found
    return Principal(
        kind=PrincipalKind.STAFF,
        id=member.id,
        scopes=scopes.ROLE_SCOPES[member.role],
        token_family_id=token.family_id,
    )


async def count_active(db: AsyncSession) -> int:
    return await repository.count_active(db)


async def _issue(
    db: AsyncSession,
    auth: AuthServices,
    tenant: TenantContext,
    member: StaffMember,
    *,
    rotated_from: Token | None = None,
) -> grants.IssuedTokens:
    return await grants.issue(
        db,
        auth.hasher,
        tenant.id,
        grants.TokenHolder(Holder.STAFF, staff_id=member.id),
        scope="",
        access_ttl_seconds=auth.settings.staff_token_ttl_seconds,
        refresh_ttl_seconds=auth.settings.refresh_token_ttl_seconds,
        rotated_from=rotated_from,
    )
