"""One settings root for the whole product, read from the environment (prefix ``COMMERCE_``).

Nested groups use ``__`` as the delimiter: ``COMMERCE_DB__URL``, ``COMMERCE_AUTH__SECRET_KEY``.
The URLs a new user is most likely to export keep their conventional names too
(``DATABASE_URL``, ``REDIS_URL``). Every variable is listed in ``.env-example``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from string import Formatter
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, EmailStr, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.money import known_currency

# Values that must never reach production: the development defaults below.
_PLACEHOLDER_SECRETS = frozenset({"", "change-me", "dev-insecure-secret-key-change-me-0000000000"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    # Empty means "start the embedded PostgreSQL under .data/" (development and tests only).
    url: str = ""
    pool_size: int = Field(default=5, ge=1, le=100)
    max_overflow: int = Field(default=5, ge=0, le=100)
    # Recycle connections so a backend's per-schema catalog cache cannot grow without bound.
    pool_recycle_seconds: int = Field(default=900, ge=30)
    pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # No request waits on the database longer than this: past it the API answers 503 (the request deadline),
    # and it is the server-side statement_timeout and the TCP user timeout of every API and worker connection.
    timeout_seconds: float = Field(default=10.0, gt=0)
    # Opening a connection (libpq connect_timeout, whole seconds).
    connect_timeout_seconds: int = Field(default=5, ge=1)
    # The server ends a session left idle inside a transaction this long (0 disables).
    idle_in_transaction_timeout_seconds: float = Field(default=60.0, ge=0)
    # psycopg prepares a statement after this many executions; None disables it (PgBouncer < 1.21 in
    # transaction mode). PostgreSQL re-plans prepared statements when search_path changes, so it is safe.
    prepare_threshold: int | None = Field(default=5, ge=0)
    echo: bool = False
    # The API's LISTEN for tenant changes needs a session-level connection: behind PgBouncer in
    # transaction mode, point this at PostgreSQL directly (empty: the main URL).
    listen_url: str = ""


class HttpSettings(BaseModel):
    # Request bodies above this are refused with 413 before anything parses them (JSON, forms, webhooks).
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    # The request line and headers together, and the number of headers: beyond either, the server answers 431
    # and closes the connection (`commerce serve` / `commerce dev`; another server must set its own limits).
    max_header_bytes: int = Field(default=32_768, ge=1_024)
    max_headers: int = Field(default=100, ge=10)
    # How long the first response to an Idempotency-Key is replayed (docs/api.md#idempotency); Stripe's 24 h.
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60)


class MetricsSettings(BaseModel):
    # `commerce serve` (and `dev`) serve Prometheus metrics at /metrics on this port, apart from the API (0: off).
    port: int = Field(default=9809, ge=0, le=65535)
    # The tenant gauges are read from the registry in the background this often; a scrape never queries.
    refresh_seconds: float = Field(default=15.0, gt=0)


class TenancySettings(BaseModel):
    # Requests to <slug>.<base_domain> resolve to that tenant; empty disables subdomain routing.
    base_domain: str = "localhost"
    # Tenants found. A safety net only: changes clear the caches at once (in-process at commit, elsewhere by
    # NOTIFY, which needs COMMERCE_DB__LISTEN_URL behind a transaction pooler). Short TTLs make most requests of a
    # large fleet miss (bench/README.md).
    cache_ttl_seconds: float = Field(default=60.0, ge=0)
    cache_max_entries: int = Field(default=10_000, ge=1)
    # Lookups that found no tenant (unknown hosts and slugs, which anyone can send): kept apart and briefly.
    negative_cache_ttl_seconds: float = Field(default=5.0, ge=0)
    negative_cache_max_entries: int = Field(default=10_000, ge=1)
    provisioning_retry_after_seconds: int = Field(default=5, ge=1)


class AuthSettings(BaseModel):
    secret_key: SecretStr = SecretStr("dev-insecure-secret-key-change-me-0000000000")
    issuer: str = "commerce"
    platform_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    staff_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    # Refresh tokens rotate on every use; a family lives at most this long without a new login.
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=300)
    oauth_access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    authorization_code_ttl_seconds: int = Field(default=300, ge=30, le=600)
    # The shopper's sign-in at the OAuth server (a signed cookie on the tenant's host).
    customer_session_ttl_seconds: int = Field(default=3_600, ge=300)
    invitation_ttl_seconds: int = Field(default=7 * 86_400, ge=3_600)
    password_reset_ttl_seconds: int = Field(default=3_600, ge=300, le=86_400)
    # The link in a staff invitation mail: the merchant dashboard's page that asks for a password and calls
    # POST /admin/v1/staff/invitations/accept. Placeholders: {token} (required), {slug}, {origin}.
    invitation_url_template: str = "https://dashboard.example.com/invitations/accept?shop={slug}&token={token}"
    # The signed link to a guest's order in the order confirmation mail: how long it works, and the storefront's
    # page it opens (which calls GET /storefront/v1/orders/{order_id}?token=...). Placeholders: {token},
    # {order_id} (both required), {origin}.
    order_link_ttl_seconds: int = Field(default=90 * 86_400, ge=3_600)
    order_link_url_template: str = "{origin}/orders/{order_id}?token={token}"
    # OAuth endpoints refuse plain HTTP unless this is off (development and tests on http://*.localhost).
    oauth_require_https: bool = True
    # Verified tenant credentials (staff tokens, API keys, OAuth tokens) are cached per process, so most
    # requests check theirs without a query. Revocation, logout, deactivation, role changes and key rolls
    # clear them everywhere at commit (NOTIFY); the TTL bounds staleness when a notification is lost
    # (no listener, e.g. behind PgBouncer without COMMERCE_DB__LISTEN_URL). 0 disables the cache.
    credential_cache_ttl_seconds: float = Field(default=30.0, ge=0, le=300)
    credential_cache_max_entries: int = Field(default=10_000, ge=1)
    # argon2id parameters (RFC 9106 low-memory profile by default).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    @property
    def uses_development_key(self) -> bool:
        """The secret key is the built-in one (public, in this repository) or another placeholder: tokens signed
        with it can be forged by anyone. Only ``commerce dev`` may run on it."""
        return self.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS

    @field_validator("order_link_url_template")
    @classmethod
    def _order_link_placeholders(cls, template: str) -> str:
        fields = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
        if not {"token", "order_id"} <= fields or not fields <= {"token", "order_id", "origin"}:
            raise ValueError("the order link template takes {token} and {order_id}, and optionally {origin}")
        return template

    @field_validator("invitation_url_template")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        fields = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
        if "token" not in fields or not fields <= {"token", "slug", "origin"}:
            raise ValueError("the invitation URL template takes {token} and optionally {slug} and {origin}")
        return template


class MigrationSettings(BaseModel):
    concurrency: int = Field(default=4, ge=1, le=64)
    # A tenant whose tables are locked by a long transaction fails fast instead of stalling the fleet.
    lock_timeout_ms: int = Field(default=5_000, ge=0)


class CelerySettings(BaseModel):
    # Empty: REDIS_URL if set, else the in-memory transport (one process: `commerce dev` runs a worker thread).
    broker_url: str = ""
    # Empty: the broker's Redis when the broker is Redis, else an in-process cache (enough for one process).
    result_backend: str = ""
    queue: str = "commerce"
    task_time_limit_seconds: int = Field(default=300, ge=1)
    task_soft_time_limit_seconds: int = Field(default=240, ge=1)
    max_retries: int = Field(default=5, ge=0)
    # Exponential backoff (1, 2, 4... seconds, with jitter) is capped here.
    retry_backoff_max_seconds: int = Field(default=600, ge=1)
    # Periodic per-tenant work: one beat entry fans out to active tenants in batches spread over time.
    fan_out_batch_size: int = Field(default=100, ge=1)
    fan_out_batch_interval_seconds: float = Field(default=10.0, ge=0)
    fan_out_jitter_seconds: float = Field(default=5.0, ge=0)
    usage_collection_interval_seconds: float = Field(default=3600.0, gt=0)
    # How often checkout's expired stock reservations are swept (per active tenant, through the fan-out).
    reservation_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    # How often idle carts expire and abandoned checkouts give their stock and PaymentIntent up.
    cart_sweep_interval_seconds: float = Field(default=300.0, gt=0)
    # How often expired idempotency keys are deleted (per active tenant through the fan-out, and the platform's).
    idempotency_sweep_interval_seconds: float = Field(default=3600.0, gt=0)

    @property
    def broker(self) -> str:
        """The broker in use: the configured URL, else the in-memory transport (one process only)."""
        return self.broker_url or "memory://"

    @property
    def in_memory(self) -> bool:
        return self.broker.startswith("memory://")

    # The job outbox (docs/workers.md#the-outbox-and-its-relay): a publish waits at most this long for the broker,
    # a failed one is retried with backoff capped here, and the relay looks for due jobs at least this often.
    publish_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    outbox_retry_max_seconds: float = Field(default=30.0, gt=0)
    outbox_poll_interval_seconds: float = Field(default=2.0, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    # Delivered jobs are kept this long (for operators), then deleted by the relay.
    outbox_retention_seconds: float = Field(default=86_400.0, ge=0)

    flower_basic_auth: SecretStr = SecretStr("")  # "user:password"; Flower refuses to start without it
    # `commerce worker` serves Prometheus metrics here (0 disables).
    metrics_port: int = Field(default=9808, ge=0, le=65535)


class RateLimitSettings(BaseModel):
    # Where login failures are counted. Empty: REDIS_URL if set, else each process counts in its own
    # memory (enough for one process; N API processes then allow N times the limits).
    redis_url: str = ""
    # Failed sign-ins allowed per account (per scope: staff or customers of one tenant) in the window.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    # Failed sign-ins allowed per client address in the window, whatever the account (per scope too; an IPv6 /64
    # counts as one address).
    login_max_failures_per_ip: int = Field(default=50, ge=1)
    # Sliding window, seconds: a failure stops counting this long after it happened.
    login_window_seconds: float = Field(default=900.0, gt=0)


class MailSettings(BaseModel):
    # Empty host: messages are written to <data_dir>/outbox as .eml files (development).
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    username: str = ""
    password: SecretStr = SecretStr("")
    starttls: bool = True
    ssl_tls: bool = False
    validate_certs: bool = True
    timeout_seconds: int = Field(default=30, ge=1)
    # SMTP servers and fastapi-mail refuse special-use domains (.test, .localhost): use a real domain.
    from_email: EmailStr = "no-reply@example.com"
    from_name: str = "Commerce"


class SentrySettings(BaseModel):
    # Empty: Sentry is off. Events carry the tenant and request id, never credentials or personal data.
    dsn: SecretStr = SecretStr("")
    environment: str = ""  # defaults to COMMERCE_ENVIRONMENT
    traces_sample_rate: float = Field(default=0.0, ge=0, le=1)


class FeePlan(BaseModel):
    """A platform plan's application fee on each payment: ``fee_bps`` basis points of the amount, at least
    ``fee_minimum[currency]`` (minor units of that currency; a currency not listed has no minimum)."""

    model_config = ConfigDict(extra="forbid")

    fee_bps: int = Field(ge=0, le=10_000)
    fee_minimum: dict[str, Annotated[int, Field(ge=0)]] = {}

    @field_validator("fee_minimum")
    @classmethod
    def _known_currencies(cls, value: dict[str, int]) -> dict[str, int]:
        # Per currency, in its own minor units, because a minimum scaled by the exponent would mean 0.30 yen.
        for code in value:
            known_currency(code)
        return value


# Minimums near 0.30 EUR in each currency's own minor units: 30 cents, 50 yen, 0.100 dinar.
DEFAULT_FEE_PLANS: dict[str, FeePlan] = {
    "standard": FeePlan(fee_bps=200, fee_minimum={"EUR": 30, "USD": 30, "GBP": 25, "CHF": 30, "JPY": 50, "KWD": 100}),
    "pro": FeePlan(fee_bps=100, fee_minimum={"EUR": 20, "USD": 20, "GBP": 15, "CHF": 20, "JPY": 30, "KWD": 60}),
}


class StripeSettings(BaseModel):
    """Stripe Connect (billing/). An empty secret key disables billing: accounts answer ``billing_not_configured``."""

    secret_key: SecretStr = SecretStr("")
    # Pinned: the SDK's types and our parsing of Stripe's objects are written against this version.
    api_version: str = "2026-10-28.endive"
    # Empty: Stripe's own API. The tests and `commerce dev` point it at the local fake (billing/stripe_fake).
    api_base: str = ""
    # Each endpoint has its own signing secrets; two at once during a rotation ("whsec_new,whsec_old").
    platform_webhook_secrets: Annotated[list[SecretStr], NoDecode] = []
    connect_webhook_secrets: Annotated[list[SecretStr], NoDecode] = []
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    # The SDK's own retries of network errors and 5xx (they reuse our idempotency key).
    max_network_retries: int = Field(default=2, ge=0, le=10)
    timeout_seconds: float = Field(default=30.0, gt=0)
    # Where Stripe sends the merchant's browser back (our /hooks/stripe/onboarding/...); empty: the request's own base URL.
    public_api_url: str = ""
    # Where the merchant lands after onboarding; {slug} is the tenant's slug.
    dashboard_url: str = "http://{slug}.localhost:3000/settings/payments"
    onboarding_state_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    # Webhook events still unprocessed after this long are queued again by the beat sweep.
    event_retry_after_seconds: int = Field(default=300, ge=10)
    event_sweep_interval_seconds: float = Field(default=300.0, gt=0)
    # The application fee of each platform plan (a tenant's plan is public.tenants.plan), JSON:
    # {"standard": {"fee_bps": 200, "fee_minimum": {"EUR": 30, "JPY": 50}}, ...}. See docs/payments.md.
    plans: dict[str, FeePlan] = Field(default_factory=lambda: dict(DEFAULT_FEE_PLANS))
    # The plan of a tenant whose plan is not in ``plans``.
    default_plan: str = "standard"
    # Refunds give back the proportional share of our application fee (Stripe's refund_application_fee).
    refund_application_fee: bool = True

    @model_validator(mode="after")
    def _default_plan_exists(self) -> StripeSettings:
        if self.default_plan not in self.plans:
            raise ValueError(f"COMMERCE_STRIPE__DEFAULT_PLAN {self.default_plan!r} is not one of the plans")
        return self

    @field_validator("platform_webhook_secrets", "connect_webhook_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        """Accept a comma-separated string as well as a JSON list (environment variables are strings)."""
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                return json.loads(stripped)
            return [part.strip() for part in stripped.split(",") if part.strip()]
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.secret_key.get_secret_value())


class CheckoutSettings(BaseModel):
    """Carts and checkout (docs/checkout.md). The stock reservation's TTL is the shop's own setting."""

    # An open cart expires after this long without a change (a guest's sooner: nobody can sign in to find it).
    guest_cart_ttl_seconds: int = Field(default=7 * 86_400, ge=3_600)
    shopper_cart_ttl_seconds: int = Field(default=30 * 86_400, ge=3_600)
    # An unpaid checkout this old is let go: its intent canceled at Stripe, its holds (if still there) released.
    abandoned_checkout_seconds: int = Field(default=86_400, ge=900)


class LogSettings(BaseModel):
    level: str = "INFO"
    json_format: bool = Field(default=True, validation_alias=AliasChoices("json_format", "json"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMMERCE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_parse_none_str="none",
    )

    environment: Environment = Environment.DEVELOPMENT
    # Where the dev server and the test suite keep the embedded PostgreSQL.
    data_dir: str = ".data"

    db: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    metrics: MetricsSettings = MetricsSettings()
    tenancy: TenancySettings = TenancySettings()
    auth: AuthSettings = AuthSettings()
    migrations: MigrationSettings = MigrationSettings()
    log: LogSettings = LogSettings()
    celery: CelerySettings = CelerySettings()
    mail: MailSettings = MailSettings()
    ratelimit: RateLimitSettings = RateLimitSettings()
    sentry: SentrySettings = SentrySettings()
    stripe: StripeSettings = StripeSettings()
    checkout: CheckoutSettings = CheckoutSettings()

    database_url: str = Field(default="", validation_alias=AliasChoices("DATABASE_URL", "COMMERCE_DATABASE_URL"))
    redis_url: str = Field(default="", validation_alias=AliasChoices("REDIS_URL", "COMMERCE_REDIS_URL"))

    @model_validator(mode="after")
    def _apply_conventional_urls(self) -> Settings:
        if self.database_url and not self.db.url:
            self.db.url = self.database_url
        if self.redis_url and not self.celery.broker_url:
            self.celery.broker_url = self.redis_url
        if self.redis_url and not self.ratelimit.redis_url:
            self.ratelimit.redis_url = self.redis_url
        return self

    @model_validator(mode="after")
    def _allow_plain_http_in_development(self) -> Settings:
        # `make dev` serves http://<slug>.localhost:8000; anywhere else OAuth needs HTTPS unless told otherwise.
        if self.environment is Environment.DEVELOPMENT and "oauth_require_https" not in self.auth.model_fields_set:
            self.auth.oauth_require_https = False
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if not self.auth.secret_key.get_secret_value():
            raise ValueError("COMMERCE_AUTH__SECRET_KEY must not be empty")
        if self.environment is Environment.PRODUCTION:
            secret = self.auth.secret_key.get_secret_value()
            if secret in _PLACEHOLDER_SECRETS or len(secret) < 32:
                raise ValueError(
                    "COMMERCE_AUTH__SECRET_KEY must be set to a random value of at least 32 characters in production"
                )
            if not self.db.url:
                raise ValueError("DATABASE_URL (or COMMERCE_DB__URL) must be set in production")
            if not self.celery.broker_url:
                raise ValueError("REDIS_URL (or COMMERCE_CELERY__BROKER_URL) must be set in production")
        stripe = self.stripe
        webhook_secrets = stripe.platform_webhook_secrets and stripe.connect_webhook_secrets
        if self.environment is Environment.PRODUCTION and stripe.enabled and not webhook_secrets:
            raise ValueError(
                "COMMERCE_STRIPE__PLATFORM_WEBHOOK_SECRETS and COMMERCE_STRIPE__CONNECT_WEBHOOK_SECRETS must be set "
                "when COMMERCE_STRIPE__SECRET_KEY is"
            )
        if self.celery.task_soft_time_limit_seconds >= self.celery.task_time_limit_seconds:
            raise ValueError("COMMERCE_CELERY__TASK_SOFT_TIME_LIMIT_SECONDS must be below the hard time limit")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Factories take ``Settings`` explicitly; only entry points call this."""
    return Settings()
