"""The storage authlib's hooks reach: the request's own session, on the event loop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.customers import repository as customers_repository
from auth.customers.models import Customer
from auth.errors import InvalidRefreshToken
from auth.grants import service as grants
from auth.grants.models import Holder, Token
from auth.oauth import repository
from auth.oauth.models import AuthorizationCode, OAuthClient
from auth.oauth.records import AuthlibCode, AuthlibToken
from auth.oauth.wire import AuthlibRequest
from auth.runtime import AuthRuntime
from core.clock import utcnow
from core.validation import control_character
from tenants.context import TenantContext

_STOREFRONT_HOLDERS = frozenset({Holder.CUSTOMER, Holder.CLIENT})


@dataclass
class OAuthStore:
    """The storage authlib's hooks reach, on the request's session (async: called on the event loop)."""

    db: AsyncSession
    auth: AuthRuntime
    tenant: TenantContext

    async def client(self, client_id: str) -> OAuthClient | None:
        if control_character(client_id) is not None:  # from a Basic header, which no schema validates: no such client
            return None
        return await repository.get_live_client_by_client_id(self.db, client_id)

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return await customers_repository.get(self.db, customer_id)

    async def save_code(
        self,
        code: str,
        client: OAuthClient,
        customer: Customer,
        redirect_uri: str,
        scope: str,
        challenge: str,
        method: str,
    ) -> None:
        self.db.add(
            AuthorizationCode(
                code_hash=self.auth.hasher.hash(code, tenant_id=self.tenant.id),
                client_id=client.id,
                customer_id=customer.id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=challenge,
                code_challenge_method=method,
                expires_at=utcnow() + timedelta(seconds=self.auth.settings.authorization_code_ttl_seconds),
            )
        )
        await self.db.flush()

    async def redeem_code(self, code: str, client: OAuthClient) -> AuthorizationCode | None:
        """The code, marked used, if this client may redeem it now. A second redemption revokes what the first issued."""
        row = await repository.get_code_by_hash(self.db, self.auth.hasher.hash(code, tenant_id=self.tenant.id))
        if row is None or row.client_id != client.id:
            return None
        if row.used_at is not None:
            await grants.revoke_issued_by_code(self.db, row.id)
            return None
        if row.expires_at <= utcnow():
            return None
        row.used_at = utcnow()
        await self.db.flush()
        return row

    async def refresh_token(self, refresh_token: str) -> Token | None:
        """The usable refresh token; a rotated one presented again (reuse) revokes its family and is refused."""
        try:
            return await grants.spend_refresh(
                self.db, self.auth.hasher, self.tenant.id, refresh_token, holders=_STOREFRONT_HOLDERS
            )
        except InvalidRefreshToken:  # reuse included: its family is already revoked; authlib answers invalid_grant
            return None

    async def find(self, secret: str) -> tuple[Token, bool] | None:
        row = await grants.find_by_secret(self.db, self.auth.hasher, self.tenant.id, secret)
        if row is None or row.holder is Holder.STAFF:
            return None
        return row, row.access_token_hash != self.auth.hasher.hash(secret, tenant_id=self.tenant.id)

    async def save(self, token: dict[str, Any], request: AuthlibRequest) -> None:
        client: OAuthClient = request.client.row
        customer: Customer | None = request.user
        if customer is not None:
            holder = grants.TokenHolder(Holder.CUSTOMER, customer_id=customer.id, client_id=client.id)
        else:
            holder = grants.TokenHolder(Holder.CLIENT, client_id=client.id)
        code: AuthlibCode | None = request.authorization_code
        previous: AuthlibToken | None = request.refresh_token
        await grants.store(
            self.db,
            self.auth.hasher,
            self.tenant.id,
            holder,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            scope=token["scope"],
            access_ttl_seconds=self.auth.settings.oauth_access_token_ttl_seconds,
            refresh_ttl_seconds=self.auth.settings.refresh_token_ttl_seconds,
            rotated_from=previous.row if previous else None,
            authorization_code_id=code.row.id if code else None,
        )
