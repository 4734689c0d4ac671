"""What one running app holds: built once by ``create_app``, reached by dependencies through the request."""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery

from auth.operators.tokens import TokenSigner
from auth.services import AuthServices
from billing.gateway import StripeGateway
from core.db import Database
from core.jobs import dispatcher_session_info
from core.metrics import ProductMetrics
from core.settings import Settings
from tenants.resolution import TenantResolver
from tenants.schema import TenantMigrations
from workers.app import create_celery, dispatcher_of


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    database: Database
    resolver: TenantResolver
    auth: AuthServices
    signer: TokenSigner
    migrations: TenantMigrations
    celery: Celery
    metrics: ProductMetrics
    stripe: StripeGateway | None  # None: billing is disabled (no Stripe secret key)

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        celery = create_celery(settings)
        database = Database(settings.db, session_info=dispatcher_session_info(dispatcher_of(celery)))
        return cls(
            settings=settings,
            celery=celery,
            metrics=ProductMetrics(),
            database=database,
            resolver=TenantResolver(database, settings.tenancy),
            auth=AuthServices.build(settings),
            signer=TokenSigner(settings.auth),
            migrations=TenantMigrations(),
            stripe=StripeGateway(settings.stripe) if settings.stripe.enabled else None,
        )
