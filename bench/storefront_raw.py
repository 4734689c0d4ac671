"""The raw baseline of the storefront benchmark: Starlette and psycopg, hand-written SQL, nothing else.

It does the product's work for ``GET /storefront/v1/products`` and ``GET /storefront/v1/products/{handle}``,
on the same tables and with the same JSON:

* the tenant from ``X-Tenant``, out of a dictionary of every tenant loaded at start (the product's resolver
  cache, always warm);
* the publishable key checked on every request with the product's keyed hash, inside the read's own
  statement (no cache);
* the read itself, schema-qualified, in autocommit: one statement, one round trip, PostgreSQL building the
  JSON exactly as the product's query does.

Served by ``python -m bench.serve --app storefront-raw`` (started by ``bench.storefront``).
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.secrets import SecretHasher
from core.settings import AuthSettings

_PRODUCT_JSON = """json_build_object(
  'object', 'product', 'id', p.id, 'handle', p.handle, 'title', p.title, 'description', p.description,
  'vendor', p.vendor, 'product_type', p.product_type, 'tags', p.tags,
  'options', coalesce((SELECT json_agg(json_build_object('name', o.name, 'values', o.values) ORDER BY o.position)
                       FROM {schema}.product_options o WHERE o.product_id = p.id), '[]'::json),
  'media', coalesce((SELECT json_agg(json_build_object('id', m.id, 'url', m.url, 'alt_text', m.alt_text,
                                                       'position', m.position) ORDER BY m.position)
                     FROM {schema}.product_media m WHERE m.product_id = p.id), '[]'::json),
  'seo_title', p.seo_title, 'seo_description', p.seo_description,
  'variants', coalesce((SELECT json_agg(json_build_object(
        'id', v.id, 'title', v.title, 'sku', v.sku,
        'option_values', array_remove(ARRAY[v.option1, v.option2, v.option3], NULL),
        'price', CASE WHEN vp.amount IS NULL THEN NULL ELSE json_build_object('amount', vp.amount, 'currency', vp.currency) END,
        'compare_at_price', CASE WHEN vp.compare_at_amount IS NULL THEN NULL
                                 ELSE json_build_object('amount', vp.compare_at_amount, 'currency', vp.currency) END,
        'available_for_sale', (NOT v.track_inventory OR v.allow_backorder OR EXISTS (
            SELECT 1 FROM {schema}.inventory_levels l JOIN {schema}.inventory_locations loc ON loc.id = l.location_id
            WHERE l.variant_id = v.id AND loc.is_active AND l.available > 0)),
        'quantity_available', CASE WHEN (SELECT s.show_inventory_quantities FROM {schema}.shop_settings s WHERE s.id = 1)
                                        AND v.track_inventory
                                   THEN (SELECT greatest(coalesce(sum(l.available), 0), 0) FROM {schema}.inventory_levels l
                                         JOIN {schema}.inventory_locations loc ON loc.id = l.location_id
                                         WHERE l.variant_id = v.id AND loc.is_active) END) ORDER BY v.position, v.id)
      FROM {schema}.variants v
      LEFT JOIN {schema}.variant_prices vp ON vp.variant_id = v.id AND vp.currency = %(currency)s
      WHERE v.product_id = p.id), '[]'::json))::text"""
_KEY = """EXISTS (SELECT 1 FROM {schema}.publishable_keys k WHERE k.secret_hash = %(hash)s AND k.revoked_at IS NULL)"""
# {schema} is a psycopg sql.Identifier (quoted); every value is bound.
_LIST = (
    "SELECT k.ok, page.body FROM (SELECT " + _KEY + " AS ok) k LEFT JOIN LATERAL ("  # noqa: S608
    "SELECT " + _PRODUCT_JSON + " AS body, p.created_at, p.id FROM {schema}.products p WHERE p.status = 'active' "
    "ORDER BY p.created_at, p.id LIMIT %(limit)s) page ON k.ok ORDER BY page.created_at, page.id"
)
_DETAIL = (
    "SELECT k.ok, page.body FROM (SELECT " + _KEY + " AS ok) k LEFT JOIN LATERAL ("  # noqa: S608
    "SELECT " + _PRODUCT_JSON + " AS body FROM {schema}.products p "
    "WHERE p.handle = %(handle)s AND p.status = 'active') page ON k.ok"
)
_UNAUTHORIZED = JSONResponse({"code": "invalid_token"}, status_code=401, media_type="application/problem+json")
_NOT_FOUND = JSONResponse({"code": "product_not_found"}, status_code=404, media_type="application/problem+json")


def create_storefront_raw_app(database_url: str, pool_size: int) -> Starlette:
    hasher = SecretHasher(AuthSettings())
    tenants: dict[str, tuple[uuid.UUID, sql.Identifier]] = {}
    pool = AsyncConnectionPool(
        database_url, min_size=pool_size, max_size=pool_size, open=False, kwargs={"autocommit": True}
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await pool.open(wait=True)
        async with pool.connection() as connection:
            rows = await connection.execute("SELECT slug, id, schema_name FROM public.tenants WHERE status = 'active'")
            for slug, tenant_id, schema in await rows.fetchall():
                tenants[slug] = (tenant_id, sql.Identifier(schema))
        yield
        await pool.close()

    async def run(request: Request, template: str, params: dict[str, Any]) -> list[tuple[bool, str | None]] | None:
        tenant = tenants.get(request.headers.get("x-tenant", ""))
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        if tenant is None or scheme.lower() != "bearer" or not secret:
            return None
        tenant_id, schema = tenant
        params["hash"] = hasher.hash(secret, tenant_id=tenant_id)
        params["currency"] = request.query_params.get("currency", "USD")
        async with pool.connection() as connection:
            cursor = await connection.execute(sql.SQL(template).format(schema=schema), params)
            rows: list[tuple[bool, str | None]] = await cursor.fetchall()
        return rows if rows and rows[0][0] else None

    async def list_products(request: Request) -> Response:
        limit = int(request.query_params.get("limit", "20"))
        rows = await run(request, _LIST, {"limit": limit + 1})
        if rows is None:
            return _UNAUTHORIZED
        bodies = [body for _, body in rows if body is not None]
        more = "true" if len(bodies) > limit else "false"
        return Response(
            f'{{"object":"list","data":[{",".join(bodies[:limit])}],"has_more":{more}}}', media_type="application/json"
        )

    async def get_product(request: Request) -> Response:
        rows = await run(request, _DETAIL, {"handle": request.path_params["handle"]})
        if rows is None:
            return _UNAUTHORIZED
        body = rows[0][1]
        return _NOT_FOUND if body is None else Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/storefront/v1/products", list_products, methods=["GET"]),
        Route("/storefront/v1/products/{handle}", get_product, methods=["GET"]),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
