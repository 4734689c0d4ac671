"""Bulk product imports (JSON Lines or CSV), run by a background job (scopes ``products:write`` / ``products:read``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import ProductsRead, ProductsWrite, TenantSession
from api.idempotency import HEADER, IdempotentRoute
from api.problems import problems
from commerce.catalog import imports as imports_service
from commerce.catalog.errors import IdempotencyKeyReused, ImportFileInvalid, ImportInProgress, ProductImportNotFound
from commerce.catalog.models import ImportFormat
from commerce.catalog.schemas import ProductImportRead
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/products/imports", tags=["admin: products"])

_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file: JSON Lines (one product per line) or CSV (one variant per row). See docs/catalog.md.",
        "content": {
            "application/jsonl": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "",
    status_code=202,
    response_model=ProductImportRead,
    operation_id="product_imports_create",
    responses=problems(ImportFileInvalid, IdempotencyKeyReused, ImportInProgress),
    openapi_extra=_FILE_BODY,
)
async def create_product_import(
    request: Request,
    db: TenantSession,
    staff: ProductsWrite,
    response: Response,
    format: Annotated[
        ImportFormat | None, Query(description="`jsonl` or `csv`; by default from the Content-Type.")
    ] = None,
) -> ProductImportRead:
    """Upload a file of products; a job imports it. Poll the returned import (`Location`) for its outcome.

    With an `Idempotency-Key`, the same key with the same file returns the same import, even after the 24 h
    replay window of the API's keys (docs/api.md#idempotency): the import keeps its key.
    """
    file_format = imports_service.format_of(request.headers.get("content-type"), format)
    # Declared (and validated) once for every unsafe route by api.idempotency; the import also keeps it.
    idempotency_key = request.headers.get(HEADER)
    created, _ = await imports_service.create_import(
        db, await request.body(), file_format=file_format, idempotency_key=idempotency_key, actor=staff
    )
    response.headers["Location"] = f"/admin/v1/products/imports/{created.id}"
    return created


@router.get(
    "/{import_id}",
    response_model=ProductImportRead,
    operation_id="product_imports_get",
    responses=problems(ProductImportNotFound, TenantNotFound),
)
async def get_product_import(import_id: uuid.UUID, db: TenantSession, staff: ProductsRead) -> ProductImportRead:
    """The import's status, counts and per-row errors (with line numbers)."""
    return await imports_service.get_import(db, import_id)
