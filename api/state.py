"""What one running app holds: built once by ``create_app``, reached by dependencies through the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from celery import Celery

from auth.operators.tokens import TokenSigner
from auth.runtime import AuthRuntime
from billing.gateway import StripeGateway
from core.clock import utcnow
from core.db import Database
from core.jobs import outbox_session_info
from core.metrics import ProductMetrics
from core.settings import Settings
from tenants.ddl import TenantMigrations
from tenants.resolution import TenantResolver
from workers.app import create_celery, dispatcher_of
from workers.relay import OutboxRelay


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    database: Database
    resolver: TenantResolver
    auth: AuthRuntime
    signer: TokenSigner
    migrations: TenantMigrations
    celery: Celery
    metrics: ProductMetrics
    stripe: StripeGateway | None  # None: billing is disabled (no Stripe secret key)
    relay: OutboxRelay  # hands this process's committed jobs to the broker, on its own thread
    # "Now" for request rules that keep time in the database (idempotency keys' expiry); tests move it.
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        celery = create_celery(settings)
        database = Database(settings.db, session_info=outbox_session_info())
        metrics = ProductMetrics()
        return cls(
            settings=settings,
            celery=celery,
            metrics=metrics,
            database=database,
            resolver=TenantResolver(database, settings.tenancy),
            auth=AuthRuntime.build(settings),
            signer=TokenSigner(settings.auth),
            migrations=TenantMigrations(),
            stripe=StripeGateway(settings.stripe) if settings.stripe.enabled else None,
            relay=OutboxRelay(settings, dispatcher_of(celery), metrics),
        )
