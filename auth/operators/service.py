"""Platform operators: created from the CLI, authenticated with email + password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import InvalidToken, OperatorAlreadyExists
from auth.operators import repository
from auth.operators.models import Operator
from auth.operators.tokens import Audience, IssuedToken, TokenSigner
from auth.passwords import Passwords, check_password_strength
from auth.runtime import AuthRuntime
from core.clock import utcnow


async def create_operator(db: AsyncSession, passwords: Passwords, *, email: str, password: str) -> Operator:
    """Register an operator. Emails are unique and compared case-insensitively."""
    check_password_strength(password)
    if await repository.get_by_email(db, email) is not None:
        raise OperatorAlreadyExists()
    operator = Operator(email=email.lower(), password_hash=await passwords.hash(password))
    db.add(operator)
    await db.flush()
    return operator


async def issue_token(
    db: AsyncSession, auth: AuthRuntime, signer: TokenSigner, *, email: str, password: str, ip: str | None
) -> IssuedToken:
    """Exchange an active operator's email and password for a short-lived ``platform`` token.

    Slowed like every sign-in: failures are counted per account and per client address (429 with Retry-After).
    """

    async def attempt() -> Operator | None:
        found = await repository.get_by_email(db, email)
        valid = await auth.passwords.verify(found.password_hash if found else None, password)
        return found if found is not None and valid and found.is_active else None

    operator = await auth.sign_in("operator", None, account=email, ip=ip, attempt=attempt)
    operator.last_login_at = utcnow()
    return signer.issue(subject=operator.id, audience=Audience.PLATFORM)


async def authenticate(db: AsyncSession, signer: TokenSigner, token: str) -> Operator:
    """The active operator a ``platform`` token belongs to."""
    claims = signer.verify(token, audience=Audience.PLATFORM)
    operator = await repository.get_active(db, claims.subject)
    if operator is None:
        raise InvalidToken()
    return operator
