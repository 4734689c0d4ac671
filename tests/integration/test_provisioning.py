"""Provisioning builds exactly the schema the migrations build, fast, and leaves nothing behind when it fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text

from auth.passwords import Passwords
from commerce.provisioning import provision_tenant
from commerce.shop import service as shop_service
from core.db import Database, create_sync_db_engine, scoped_connection
from core.settings import Settings
from migrations.models import include_public_only, public_metadata, tenant_metadata
from tenants.ddl import TENANT_SCRIPTS, TenantMigrations, alembic_config
from tenants.models import Tenant, TenantStatus
from tests.fixtures.schemas import snapshot
from tests.fixtures.tenants import TenantHandle, tenant_body


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    sync_engine = create_sync_db_engine(settings.db)
    yield sync_engine
    sync_engine.dispose()


@pytest.fixture
def online_schema(engine: Engine) -> Iterator[str]:
    """A schema migrated the ordinary way: Alembic online, revision by revision, through env.py."""
    schema = f"t_online_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        command.upgrade(alembic_config(TENANT_SCRIPTS, connection=connection, schema=schema), "head")
    yield schema
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_provisioned_schema_equals_the_online_migrated_schema(
    engine: Engine, tenant_a: TenantHandle, online_schema: str
) -> None:
    with engine.connect() as connection:
        provisioned, migrated = snapshot(connection, tenant_a.schema_name), snapshot(connection, online_schema)
    assert provisioned["columns"], "the snapshot must see the tables"
    assert provisioned == migrated


def test_tenant_migrations_match_the_models(engine: Engine, tenant_a: TenantHandle) -> None:
    with scoped_connection(engine, tenant_a.schema_name) as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), tenant_metadata)
    assert diff == []


def test_public_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_schemas": True,
                "include_name": include_public_only,
                "version_table_schema": "public",
            },
        )
        diff = compare_metadata(context, public_metadata)
    # Two reflection artefacts, not drift: Alembic's own version table, and a foreign key into ``public``
    # reflected without its schema (PostgreSQL omits the default schema) and so "removed" then "added".
    names = [(op[0], getattr(op[1], "name", None)) for op in diff if isinstance(op, tuple)]
    fk_churn = {name for kind, name in names if kind == "remove_fk"} & {
        name for kind, name in names if kind == "add_fk"
    }
    real = [(kind, name) for kind, name in names if name != "alembic_version" and name not in fk_churn]
    assert real == []
    assert len(names) == len(diff)


async def test_failed_provisioning_marks_the_tenant_failed_and_drops_everything_it_built(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_create_shop(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(shop_service, "create_shop", broken_create_shop)
    body = tenant_body()
    with pytest.raises(RuntimeError, match="disk full"):
        await provision_tenant(database, Passwords(settings.auth), TenantMigrations(), body)

    async with database.public_session() as db:
        tenant = await db.scalar(select(Tenant).where(Tenant.slug == body.slug))
        assert tenant is not None
        assert tenant.status is TenantStatus.FAILED
        assert tenant.last_error == "RuntimeError: disk full"
        assert tenant.schema_revision is None
        exists = await db.scalar(
            text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": tenant.schema_name}
        )
        assert exists == 0


async def test_provisioned_tenant_is_active_at_head_with_its_owner(database: Database, settings: Settings) -> None:
    body = tenant_body()
    created = await provision_tenant(database, Passwords(settings.auth), TenantMigrations(), body)
    assert created.tenant.status is TenantStatus.ACTIVE
    assert created.tenant.schema_revision == TenantMigrations().head
    async with database.scoped_session(created.tenant.schema_name) as db:
        owners = (await db.execute(text("SELECT email, role, password_hash FROM staff_members"))).all()
    assert [(email, role) for email, role, _ in owners] == [(body.owner_email.lower(), "owner")]
    assert owners[0].password_hash.startswith("$argon2id$")
    assert created.owner_password not in owners[0].password_hash
