"""What one running app holds: built once by ``create_app``, reached by dependencies through the request."""

from __future__ import annotations

from dataclasses import dataclass

from auth.passwords import Passwords
from auth.tokens import TokenSigner
from core.db import Database
from core.settings import Settings
from tenants.resolution import TenantResolver
from tenants.schema import TenantMigrations


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    database: Database
    resolver: TenantResolver
    passwords: Passwords
    signer: TokenSigner
    migrations: TenantMigrations

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        database = Database(settings.db)
        return cls(
            settings=settings,
            database=database,
            resolver=TenantResolver(database, settings.tenancy),
            passwords=Passwords(settings.auth),
            signer=TokenSigner(settings.auth),
            migrations=TenantMigrations(),
        )
