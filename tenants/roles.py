"""A database role per tenant: the second wall between tenants (docs/tenancy.md#a-database-role-per-tenant).

Each tenant schema ``t_<id>`` has its own role ``t_<id>_role`` (``core.db.tenant_role_name``): it may use
that schema and read and write its tables, and nothing else of any tenant. Tenant transactions of the
request path switch to it in their routing statement (``set_config('role', ..., true)``, ending with the
transaction), so a statement that names another tenant's schema is refused by PostgreSQL itself
("permission denied for schema"), whatever the code above it does.

* The runtime role (the one in ``DATABASE_URL``) owns the schemas and their tables, builds and migrates
  them, and is made a member of every tenant role (``GRANT t_<id>_role TO CURRENT_USER``), which is what
  lets it switch to one. A tenant role is a member of nothing but ``commerce_tenant``.
* ``commerce_tenant`` (no login) holds the only rights a tenant role has outside its schema
  (``PUBLIC_GRANTS``, granted by ``migrate_public``): ``SELECT`` on the registry and the Stripe accounts,
  ``INSERT`` into the job outbox, each narrowed by row-level security to the tenant's own rows.
* Tenant roles have no login and no password. On Citus they must be able to log in: Citus opens its
  connections to a worker as the current role, so they are created ``LOGIN`` there, still without a
  password (docs/scaling.md#roles).

Every statement here is idempotent: provisioning runs them for a new schema, and every fleet migration
of a tenant runs them again after its DDL (new tables get their grants); ``FleetMigrator.ensure_roles``
gives tenants that are already at head and have no role yet theirs.
"""

from __future__ import annotations

from psycopg import sql
from sqlalchemy import Connection, text

from core.db import ROLE_SUFFIX, tenant_role_name, validate_schema_name

TENANT_GROUP_ROLE = "commerce_tenant"
# The public tables a tenant request touches inside its own transaction, and how: the billing routes check
# the tenant's registry row and read its Stripe account; a request that queues a job writes its outbox row
# (core.outbox, without RETURNING). Nothing else in public is reachable.
PUBLIC_GRANTS = {"tenants": "SELECT", "stripe_accounts": "SELECT", "job_outbox": "INSERT"}

_CREATE_ROLE = sql.SQL(
    "DO $role$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {name}) "
    "THEN CREATE ROLE {role} NOLOGIN; END IF; END $role$"
)
# Citus connects to a worker as the current role: there a tenant role must be allowed to log in.
_LOGIN_ON_CITUS = sql.SQL(
    "DO $role$ BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') "
    "THEN ALTER ROLE {role} LOGIN; END IF; END $role$"
)


def _text(statement: sql.Composable) -> str:
    return statement.as_string(None)


def tenant_role_statements(schema: str) -> tuple[str, ...]:
    """Create ``schema``'s role if needed and grant it exactly its schema (run as the runtime role, which owns it)."""
    name = tenant_role_name(schema)
    role, group = sql.Identifier(name), sql.Identifier(TENANT_GROUP_ROLE)
    quoted = sql.Identifier(validate_schema_name(schema))
    statements = (
        _CREATE_ROLE.format(name=sql.Literal(name), role=role),
        _LOGIN_ON_CITUS.format(role=role),
        sql.SQL("GRANT {role} TO CURRENT_USER").format(role=role),
        sql.SQL("GRANT {group} TO {role}").format(group=group, role=role),
        sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {role}").format(schema=quoted, role=role),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}").format(
            schema=quoted, role=role
        ),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}").format(
            schema=quoted, role=role
        ),
        # the schema's revision is the fleet runner's business, never a tenant request's
        sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {table} FROM {role}").format(
            table=sql.Identifier(schema, "alembic_version"), role=role
        ),
    )
    return tuple(_text(statement) for statement in statements)


def drop_tenant_role_statements(schema: str) -> tuple[str, ...]:
    """Drop ``schema``'s role (after its schema: nothing of it is left to own or be granted)."""
    return (_text(sql.SQL("DROP ROLE IF EXISTS {role}").format(role=sql.Identifier(tenant_role_name(schema)))),)


# Row-level security narrows each grant to the tenant's own rows. A second policy keeps every other role
# (the runtime role when it does not own the tables; owners and superusers bypass row security) unrestricted.
_OWN_TENANT_ID = "tenant_id IN (SELECT id FROM public.tenants WHERE schema_name || {suffix} = current_user)"
_OWN_ROWS = {
    "tenants": "schema_name || {suffix} = current_user",
    "stripe_accounts": _OWN_TENANT_ID,
    "job_outbox": _OWN_TENANT_ID,
}
_CREATE_POLICY = sql.SQL(
    "DO $policy$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_policies WHERE schemaname = 'public' "
    "AND tablename = {table_name} AND policyname = {policy_name}) THEN {create}; END IF; END $policy$"
)


def _policy(table: str, name: str, create: sql.Composable) -> sql.Composable:
    return _CREATE_POLICY.format(table_name=sql.Literal(table), policy_name=sql.Literal(name), create=create)


def public_grant_statements() -> tuple[str, ...]:
    """The group role of every tenant role and its grants in ``public`` (after ``public`` migrations):
    ``PUBLIC_GRANTS``, where row-level security lets a tenant role see or write its own rows only."""
    group = sql.Identifier(TENANT_GROUP_ROLE)
    everyone_else = sql.SQL("NOT pg_catalog.pg_has_role(current_user, {group}, 'MEMBER')").format(
        group=sql.Literal(TENANT_GROUP_ROLE)
    )
    statements: list[sql.Composable] = [_CREATE_ROLE.format(name=sql.Literal(TENANT_GROUP_ROLE), role=group)]
    for table, privilege in PUBLIC_GRANTS.items():
        qualified = sql.Identifier("public", table)
        own_rows = sql.SQL(_OWN_ROWS[table]).format(suffix=sql.Literal(ROLE_SUFFIX))
        check = "USING" if privilege == "SELECT" else "WITH CHECK"
        statements += [
            sql.SQL("GRANT {privilege} ON {table} TO {group}").format(
                privilege=sql.SQL(privilege), table=qualified, group=group
            ),
            # only when it is off: ALTER TABLE locks the registry exclusively, and this runs on every deploy
            sql.SQL(
                "DO $rls$ BEGIN IF NOT (SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = {name}::regclass) "
                "THEN ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; END IF; END $rls$"
            ).format(name=sql.Literal(f"public.{table}"), table=qualified),
            _policy(
                table,
                "tenant_own_rows",
                sql.SQL("CREATE POLICY tenant_own_rows ON {table} FOR {privilege} TO {group} {check} ({own})").format(
                    table=qualified, privilege=sql.SQL(privilege), group=group, check=sql.SQL(check), own=own_rows
                ),
            ),
            _policy(
                table,
                "platform_unrestricted",
                sql.SQL("CREATE POLICY platform_unrestricted ON {table} USING ({others}) WITH CHECK ({others})").format(
                    table=qualified, others=everyone_else
                ),
            ),
        ]
    return tuple(_text(statement) for statement in statements)


def registered_tenant_roles(connection: Connection) -> list[str]:
    """The roles of the tenants registered in the connected database that exist on its server.

    Roles belong to the server, not to a database: whoever drops a product database drops these after it.
    """
    query = text(
        "SELECT r.rolname FROM public.tenants t JOIN pg_catalog.pg_roles r ON r.rolname = t.schema_name || :suffix"
    )
    return list(connection.execute(query, {"suffix": ROLE_SUFFIX}).scalars())
