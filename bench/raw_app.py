"""The raw baseline of the hot-path benchmark: Starlette and psycopg, hand-written SQL, nothing else.

It does the product's work for the measured routes, on the same tables and with the same answers:

* the tenant from ``X-Tenant``, out of a dictionary of every tenant loaded at start (the product's
  resolver cache, always warm);
* the credential check on every request, inside the read's own statement (``EXISTS`` over the token and
  its active member, the live key, or the live token of a live client), with the product's keyed hash and
  the scope the route requires; no cache;
* the read (or the ``UPDATE ... RETURNING`` of the patch, with the product's version rule), schema-qualified,
  in autocommit: one statement, one round trip;
* the same JSON body and ``ETag``.

Served by ``python -m bench.serve --app raw`` (started by ``bench.hot_path``).
"""

from __future__ import annotations

import json
import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.secrets import SecretHasher
from core.settings import AuthSettings

_STAFF = """EXISTS (SELECT 1 FROM {schema}.tokens t JOIN {schema}.staff_members m ON m.id = t.staff_id
    WHERE t.access_token_hash = %(hash)s AND t.revoked_at IS NULL AND t.access_expires_at > now()
      AND m.is_active AND m.role = ANY(%(roles)s))"""
_KEY = """EXISTS (SELECT 1 FROM {schema}.api_keys k WHERE k.secret_hash = %(hash)s AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now()) AND k.scopes && %(scopes)s::varchar[])"""
_CLIENT = """EXISTS (SELECT 1 FROM {schema}.tokens t JOIN {schema}.oauth_clients c ON c.id = t.client_id
    WHERE t.access_token_hash = %(hash)s AND t.holder <> 'staff' AND t.revoked_at IS NULL
      AND t.access_expires_at > now() AND c.revoked_at IS NULL)"""
# Templates for psycopg.sql: {schema} is an Identifier, {credential} one of the checks above; values are bound.
_READ = """SELECT s.name, s.default_currency, s.timezone, s.support_email, s.version, s.updated_at
    FROM {schema}.shop_settings s WHERE s.id = 1 AND {credential}"""
_PATCH = """UPDATE {schema}.shop_settings s SET name = %(name)s::varchar,
      version = s.version + CASE WHEN s.name IS DISTINCT FROM %(name)s::varchar THEN 1 ELSE 0 END,
      updated_at = CASE WHEN s.name IS DISTINCT FROM %(name)s::varchar THEN now() ELSE s.updated_at END
    WHERE s.id = 1 AND {credential}
    RETURNING s.name, s.default_currency, s.timezone, s.support_email, s.version, s.updated_at"""
_READ_ROLES = ["owner", "admin", "staff", "read_only"]
_WRITE_ROLES = ["owner", "admin"]
_UNAUTHORIZED = JSONResponse({"code": "invalid_token"}, status_code=401, media_type="application/problem+json")


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")  # as pydantic writes UTC datetimes


def create_raw_app(database_url: str, pool_size: int) -> Starlette:
    hasher = SecretHasher(AuthSettings())
    tenants: dict[str, tuple[uuid.UUID, sql.Identifier]] = {}
    pool = AsyncConnectionPool(
        database_url, min_size=pool_size, max_size=pool_size, open=False,
        kwargs={"autocommit": True, "prepare_threshold": None},
    )  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await pool.open(wait=True)
        async with pool.connection() as connection:
            rows = await connection.execute("SELECT slug, id, schema_name FROM public.tenants WHERE status = 'active'")
            for slug, tenant_id, schema in await rows.fetchall():
                tenants[slug] = (tenant_id, sql.Identifier(schema))
        yield
        await pool.close()

    async def run(request: Request, template: str, credential: str, params: dict[str, Any]) -> Response:
        tenant = tenants.get(request.headers.get("x-tenant", ""))
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        if tenant is None or scheme.lower() != "bearer" or not secret:
            return _UNAUTHORIZED
        tenant_id, schema = tenant
        check = sql.SQL(credential).format(schema=schema)
        query = sql.SQL(template).format(schema=schema, credential=check)
        params["hash"] = hasher.hash(secret, tenant_id=tenant_id)
        async with pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(query, params)
            row = await cursor.fetchone()
        if row is None:
            return _UNAUTHORIZED
        body = {
            "object": "shop",
            "name": row["name"],
            "default_currency": row["default_currency"],
            "timezone": row["timezone"],
            "support_email": row["support_email"],
            "version": row["version"],
            "updated_at": _timestamp(row["updated_at"]),
        }
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(content, media_type="application/json", headers={"etag": f'"{row["version"]}"'})

    async def admin_shop(request: Request) -> Response:
        secret = request.headers.get("authorization", "").partition(" ")[2]
        if secret.startswith("sk_"):
            return await run(request, _READ, _KEY, {"scopes": ["settings:read", "settings:write"]})
        return await run(request, _READ, _STAFF, {"roles": _READ_ROLES})

    async def admin_shop_patch(request: Request) -> Response:
        name = json.loads(await request.body())["name"]
        secret = request.headers.get("authorization", "").partition(" ")[2]
        if secret.startswith("sk_"):
            return await run(request, _PATCH, _KEY, {"scopes": ["settings:write"], "name": name})
        return await run(request, _PATCH, _STAFF, {"roles": _WRITE_ROLES, "name": name})

    async def storefront_shop(request: Request) -> Response:
        response = await run(request, _READ, _CLIENT, {})
        if response.status_code == 200:  # the storefront shows the public facts only
            body = json.loads(bytes(response.body))
            for private in ("version", "updated_at"):
                body.pop(private)
            return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), media_type="application/json")
        return response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/admin/v1/shop", admin_shop, methods=["GET"]),
        Route("/admin/v1/shop", admin_shop_patch, methods=["PATCH"]),
        Route("/storefront/v1/shop", storefront_shop, methods=["GET"]),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
