"""Bulk import of products from a JSON Lines or CSV file, run by a background job.

* Uploading stores the file and queues ``catalog.run_import``; the import is a resource with a status
  (``pending -> running -> succeeded | failed``), counts, and per-row errors with their line numbers.
* With an ``Idempotency-Key``, uploading the same file again returns the same import; the same key with a
  different file is refused (422), and a concurrent duplicate is 409.
* A row creates a product, or replaces the product that has its handle (``replacement``: variants matched
  by SKU). Every row is validated exactly as ``POST /admin/v1/products`` validates a body, plus the checks
  across the file (a handle or SKU twice) and against the shop (a SKU of another product). A bad row is
  reported and nothing of it is imported; the good rows are all imported, in one transaction, with one
  ``product.created`` or ``product.updated`` event each.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.catalog import import_files, replacement, repository
from commerce.catalog.errors import (
    IdempotencyKeyReused,
    ImportFileInvalid,
    ImportInProgress,
    ProductImportNotFound,
)
from commerce.catalog.import_files import Row
from commerce.catalog.models import (
    ImportFormat,
    ImportStatus,
    Product,
    ProductImport,
    ProductMedia,
    ProductOption,
    Variant,
    VariantPrice,
)
from commerce.catalog.schemas import ImportRowError, ProductCreate, ProductImportRead, ProductRead, VariantRead
from commerce.catalog.service import pick_handle, slugify, snapshot, variant_columns
from commerce.events import service as events_service
from commerce.events.schemas import NewEvent
from core import jobs
from core.clock import utcnow
from core.errors import Problem
from core.ids import new_id

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ERRORS_KEPT = 1000
_CHUNK = 500

# --- upload ---------------------------------------------------------------------------------------------------------


def format_of(content_type: str | None, declared: ImportFormat | None) -> ImportFormat:
    """The file's format: the ``format`` parameter, else the media type (``text/csv``, ``application/jsonl``...)."""
    if declared is not None:
        return declared
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in {"text/csv", "application/csv"}:
        return ImportFormat.CSV
    if media_type in {"application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/json-lines"}:
        return ImportFormat.JSONL
    raise ImportFileInvalid("send the file as text/csv or application/jsonl, or pass format=csv|jsonl")


async def create_import(
    db: AsyncSession,
    content: bytes,
    *,
    file_format: ImportFormat,
    idempotency_key: str | None,
    actor: Principal | None,
) -> tuple[ProductImportRead, bool]:
    """Store the file and queue its import; returns the import and whether it is new (False: a replay)."""
    if not content.strip():
        raise ImportFileInvalid("the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileInvalid(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    digest = hashlib.sha256(content).digest()
    if idempotency_key is not None:
        existing = await repository.get_import_by_key(db, idempotency_key)
        if existing is not None:
            if existing.content_sha256 != digest or existing.format != file_format:
                raise IdempotencyKeyReused()
            return import_read(existing), False
    product_import = ProductImport(
        idempotency_key=idempotency_key or f"auto:{uuid.uuid4()}",
        content_sha256=digest,
        format=file_format,
        content=content,
        actor_kind=actor.kind.value if actor is not None else None,
        actor_id=actor.id if actor is not None else None,
    )
    db.add(product_import)
    try:
        await db.flush()
    except IntegrityError as exc:  # the same key, uploaded concurrently: the other request holds it
        raise ImportInProgress() from exc
    jobs.enqueue(db, "catalog.run_import", import_id=str(product_import.id))
    return import_read(product_import), True


def import_read(product_import: ProductImport) -> ProductImportRead:
    return ProductImportRead.model_validate(product_import)


async def get_import(db: AsyncSession, import_id: uuid.UUID) -> ProductImportRead:
    found = await repository.get_import(db, import_id)
    if found is None:
        raise ProductImportNotFound()
    return import_read(found)


# --- the job --------------------------------------------------------------------------------------------------------


async def start_import(db: AsyncSession, import_id: uuid.UUID) -> bool:
    """Mark the import running; False when there is nothing to do (already finished: a redelivered job).

    A ``running`` import is started again: its work is one transaction, so a worker lost mid-way left nothing.
    """
    found = await repository.get_import(db, import_id, for_update=True)
    if found is None or found.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return False
    found.status = ImportStatus.RUNNING
    found.started_at = utcnow()
    await db.flush()
    return True


async def fail_import(db: AsyncSession, import_id: uuid.UUID, reason: str) -> None:
    found = await repository.get_import(db, import_id, for_update=True)
    if found is None or found.status is ImportStatus.SUCCEEDED:
        return
    found.status = ImportStatus.FAILED
    found.failure = reason[:2000]
    found.finished_at = utcnow()
    found.content = None
    await db.flush()


async def execute_import(db: AsyncSession, import_id: uuid.UUID) -> ProductImportRead:
    """Validate every row, create the products of the good ones, record the outcome. One transaction."""
    found = await repository.get_import(db, import_id, for_update=True)
    if found is None:
        raise ProductImportNotFound()
    if found.status is not ImportStatus.RUNNING or found.content is None:
        return import_read(found)
    rows, file_errors = import_files.parse(found.content, found.format)
    for row in rows:
        import_files.validate(row)
    await _check_uniqueness(db, rows)
    good = [row for row in rows if row.body is not None and not row.errors]
    new = [row for row in good if row.replaces is None]
    events: list[NewEvent] = []
    for start in range(0, len(new), _CHUNK):
        batch = _Batch()
        for row in new[start : start + _CHUNK]:
            assert row.body is not None
            events.append(batch.add(row.body, handle=row.raw["__handle"]))
        await batch.write(db)
    await events_service.record_many(db, events, actor=None)
    updated = 0
    for row in good:
        if row.replaces is not None and row.body is not None:
            updated += await _replace(db, row, row.replaces, row.body)
    errors = sorted(file_errors + [error for row in rows for error in row.errors], key=lambda error: error.line)
    failed_lines = {error.line for error in file_errors} | {row.line for row in rows if row.errors or row.body is None}
    found.total_rows = len(rows) + len({error.line for error in file_errors})
    found.created_count = len(new)
    found.updated_count = updated
    found.failed_count = len(failed_lines)
    found.errors = [error.model_dump() for error in errors[:MAX_ERRORS_KEPT]]
    found.status = ImportStatus.SUCCEEDED
    found.finished_at = utcnow()
    found.content = None
    await db.flush()
    return import_read(found)


async def _replace(db: AsyncSession, row: Row, product_id: uuid.UUID, body: ProductCreate) -> int:
    """Replace one product in a savepoint: a row that breaks a rule there is reported, and leaves nothing."""
    try:
        async with db.begin_nested():
            await replacement.replace_product(db, product_id, body, actor=None)
    except Problem as problem:
        field_name = problem.extra.get("field")
        row.errors.append(
            ImportRowError(
                line=import_files.line_of(row, str(field_name or "").split(".")),
                field=field_name,
                code=problem.code,
                message=str(problem),
            )
        )
        return 0
    return 1


class _Batch:
    """The rows of a batch of new products, written with COPY (the API's path, through the ORM, is ~10x slower
    for thousands of products), and each product's ``product.created`` event with the same snapshot the admin
    API shows (a test compares them)."""

    def __init__(self) -> None:
        self.now = utcnow()
        self.tables: dict[type[Any], list[dict[str, Any]]] = {
            model: [] for model in (Product, ProductOption, Variant, VariantPrice, ProductMedia)
        }

    def add(self, body: ProductCreate, *, handle: str) -> NewEvent:
        product_id, now = new_id(), self.now
        product = {
            "id": product_id,
            "handle": handle,
            "title": body.title,
            "description": body.description,
            "status": body.status.value,
            "vendor": body.vendor,
            "product_type": body.product_type,
            "tags": list(body.tags),
            "metadata": Jsonb(dict(body.metadata)),
            "seo_title": body.seo_title,
            "seo_description": body.seo_description,
            "search_terms": "",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        self.tables[Product].append(product)
        options = [
            {
                "id": new_id(),
                "product_id": product_id,
                "position": position,
                "name": option.name,
                "values": option.values,
            }
            for position, option in enumerate(body.options, start=1)
        ]
        self.tables[ProductOption] += options
        media = [
            {
                "id": new_id(),
                "product_id": product_id,
                "position": position,
                "url": str(item.url),
                "alt_text": item.alt_text,
            }
            for position, item in enumerate(body.media, start=1)
        ]
        self.tables[ProductMedia] += media
        variants: list[VariantRead] = []
        for position, fields in enumerate(body.variants, start=1):
            variant_id = new_id()
            row = {
                **variant_columns(fields, position=position),
                "id": variant_id,
                "product_id": product_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            self.tables[Variant].append(row)
            prices = [
                {
                    "variant_id": variant_id,
                    "currency": price.currency,
                    "amount": price.amount,
                    "compare_at_amount": price.compare_at_amount,
                }
                for price in fields.prices
            ]
            self.tables[VariantPrice] += prices
            variants.append(
                VariantRead.model_validate({**row, "option_values": list(fields.option_values), "prices": prices})
            )
        read = ProductRead.model_validate(
            {
                **product,
                "metadata": dict(body.metadata),
                "options": options,
                "variants": variants,
                "media": media,
            }
        )
        return NewEvent("product.created", product_id, 1, snapshot(read))

    async def write(self, db: AsyncSession) -> None:
        for model, rows in self.tables.items():
            await repository.copy_rows(db, model, rows)
        await repository.refresh_search_terms(db, [row["id"] for row in self.tables[Product]])


async def _check_uniqueness(db: AsyncSession, rows: list[Row]) -> None:
    """Handles and SKUs across the file and against the shop; a shop handle makes its row a replacement, and
    generated handles are chosen here."""
    valid = [row for row in rows if row.body is not None and not row.errors]
    explicit = [row.body.handle for row in valid if row.body is not None and row.body.handle is not None]
    shop_handles = await repository.get_handles(db, explicit) if explicit else {}
    skus = [variant.sku for row in valid if row.body for variant in row.body.variants if variant.sku is not None]
    sku_products: dict[str, uuid.UUID] = {}
    for start in range(0, len(skus), 5000):
        sku_products |= await repository.sku_products(db, skus[start : start + 5000])
    seen_handles: set[str] = set()
    seen_skus: set[str] = set()
    for row in valid:
        assert row.body is not None
        handle = row.body.handle
        if handle is not None and handle in seen_handles:
            row.errors.append(
                ImportRowError(
                    line=row.line,
                    field="handle",
                    code="handle_already_exists",
                    message=f"handle {handle!r} appears earlier in the file",
                )
            )
        row.replaces = shop_handles.get(handle) if handle is not None else None
        for index, variant in enumerate(row.body.variants):
            owner = sku_products.get(variant.sku) if variant.sku is not None else None
            if variant.sku is not None and (variant.sku in seen_skus or owner not in (None, row.replaces)):
                row.errors.append(
                    ImportRowError(
                        line=import_files.line_of(row, ["variants", index]),
                        field=f"variants.{index}.sku",
                        code="sku_already_exists",
                        message=f"SKU {variant.sku!r} belongs to another product (in the shop or earlier in the file)",
                    )
                )
        if row.errors:
            continue
        if handle is not None:
            seen_handles.add(handle)
        seen_skus |= {variant.sku for variant in row.body.variants if variant.sku is not None}
        row.raw["__handle"] = handle
    generated = [row for row in valid if not row.errors and row.body is not None and row.body.handle is None]
    if generated:
        taken = await repository.all_handles(db) | seen_handles  # one read, however many titles
        for row in generated:
            assert row.body is not None
            row.raw["__handle"] = pick_handle(slugify(row.body.title), taken)
            taken.add(row.raw["__handle"])
