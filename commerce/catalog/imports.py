"""Bulk import of products from a JSON Lines or CSV file, run by a background job.

* Uploading stores the file and queues ``catalog.run_import``; the import is a resource with a status
  (``pending -> running -> succeeded | failed``), counts, and per-row errors with their line numbers.
* With an ``Idempotency-Key``, uploading the same file again returns the same import; the same key with a
  different file is refused (422), and a concurrent duplicate is 409.
* The import creates products. Every row is validated exactly as ``POST /admin/v1/products`` validates a
  body, plus the checks across the file (a handle or SKU twice) and against the shop (a handle or SKU already
  taken). A bad row is reported and nothing of it is imported; the good rows are all imported, in one
  transaction, with one ``product.created`` event each.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.catalog import repository
from commerce.catalog.errors import (
    IdempotencyKeyReused,
    ImportFileInvalid,
    ImportInProgress,
    ProductImportNotFound,
)
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
from commerce.catalog.service import check_product_body, pick_handle, slugify, snapshot, variant_columns
from commerce.events import service as events_service
from commerce.events.schemas import NewEvent
from core import jobs
from core.clock import utcnow
from core.errors import Problem
from core.ids import new_id

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
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


@dataclass
class _Row:
    line: int  # first line of the product in the file
    raw: dict[str, Any]
    variant_lines: list[int] = field(default_factory=list)  # CSV: the line of each variant
    body: ProductCreate | None = None
    errors: list[ImportRowError] = field(default_factory=list)


async def execute_import(db: AsyncSession, import_id: uuid.UUID) -> ProductImportRead:
    """Validate every row, create the products of the good ones, record the outcome. One transaction."""
    found = await repository.get_import(db, import_id, for_update=True)
    if found is None:
        raise ProductImportNotFound()
    if found.status is not ImportStatus.RUNNING or found.content is None:
        return import_read(found)
    rows, file_errors = _parse(found.content, found.format)
    for row in rows:
        _validate(row)
    await _check_uniqueness(db, rows)
    good = [row for row in rows if row.body is not None and not row.errors]
    events: list[NewEvent] = []
    for start in range(0, len(good), _CHUNK):
        batch = _Batch()
        for row in good[start : start + _CHUNK]:
            assert row.body is not None
            events.append(batch.add(row.body, handle=row.raw["__handle"]))
        await batch.write(db)
    await events_service.record_many(db, events, actor=None)
    errors = sorted(file_errors + [error for row in rows for error in row.errors], key=lambda error: error.line)
    failed_lines = {error.line for error in file_errors} | {row.line for row in rows if row.errors or row.body is None}
    found.total_rows = len(rows) + len({error.line for error in file_errors})
    found.created_count = len(good)
    found.updated_count = 0
    found.failed_count = len(failed_lines)
    found.errors = [error.model_dump() for error in errors[:MAX_ERRORS_KEPT]]
    found.status = ImportStatus.SUCCEEDED
    found.finished_at = utcnow()
    found.content = None
    await db.flush()
    return import_read(found)


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


# --- parsing --------------------------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid("the file is not UTF-8 text") from exc


def _parse(content: bytes, file_format: ImportFormat) -> tuple[list[_Row], list[ImportRowError]]:
    text = _decode(content)
    rows, errors = (_parse_jsonl if file_format is ImportFormat.JSONL else _parse_csv)(text)
    if len(rows) > MAX_ROWS:
        raise ImportFileInvalid(f"the file has more than {MAX_ROWS} products")
    return rows, errors


def _parse_jsonl(text: str) -> tuple[list[_Row], list[ImportRowError]]:
    rows: list[_Row] = []
    errors: list[ImportRowError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            errors.append(ImportRowError(line=number, field=None, code="invalid_json", message=str(exc)))
            continue
        if not isinstance(value, dict):
            errors.append(ImportRowError(line=number, field=None, code="invalid_json", message="not a JSON object"))
            continue
        rows.append(_Row(line=number, raw=value))
    return rows, errors


_PRICE_COLUMN = re.compile(r"^(compare_at_price|price)_([A-Z]{3})$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_VARIANT_COLUMNS: tuple[str, ...] = (
    "sku",
    "barcode",
    "weight",
    "weight_unit",
    "requires_shipping",
    "track_inventory",
    "allow_backorder",
    "tax_class",
    "option1_value",
    "option2_value",
    "option3_value",
)
CSV_COLUMNS = (
    "handle",
    "title",
    "description",
    "status",
    "vendor",
    "product_type",
    "tags",
    "seo_title",
    "seo_description",
    "option1_name",
    "option2_name",
    "option3_name",
    *_VARIANT_COLUMNS,
    "image_url",
    "image_alt_text",
)


def _cell(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def _amount(value: str) -> int | str:
    """Integers become ints; anything else stays text, for validation to refuse with the field's name."""
    return int(value) if _INTEGER.fullmatch(value) else value


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, str | None]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    unknown = [
        name for name in reader.fieldnames or () if name not in CSV_COLUMNS and not _PRICE_COLUMN.fullmatch(name)
    ]
    if "handle" not in (reader.fieldnames or ()) or unknown:
        raise ImportFileInvalid(
            "the CSV header must name a handle column and only known columns"
            + (f" (unknown: {', '.join(unknown[:5])})" if unknown else "")
        )
    try:
        for record in reader:
            yield reader.line_num, {key: _cell(value) for key, value in record.items() if key is not None}
    except csv.Error as exc:
        raise ImportFileInvalid(f"line {reader.line_num}: {exc}") from exc


def _parse_csv(text: str) -> tuple[list[_Row], list[ImportRowError]]:
    """One row per variant; rows sharing a handle form one product (its fields come from its first row)."""
    products: dict[str, _Row] = {}
    errors: list[ImportRowError] = []
    for line, record in _csv_records(text):
        handle = record.get("handle")
        if handle is None:
            errors.append(ImportRowError(line=line, field="handle", code="invalid_input", message="handle is required"))
            continue
        row = products.get(handle)
        if row is None:
            row = products[handle] = _Row(line=line, raw=_csv_product(record))
        variant = _csv_variant(record)
        if variant is not None:
            row.raw["variants"].append(variant)
            row.variant_lines.append(line)
        image = record.get("image_url")
        if image is not None:
            row.raw["media"].append({"url": image, "alt_text": record.get("image_alt_text")})
    return list(products.values()), errors


def _csv_product(record: dict[str, str | None]) -> dict[str, Any]:
    product: dict[str, Any] = {
        key: record[key]
        for key in (
            "handle",
            "title",
            "description",
            "status",
            "vendor",
            "product_type",
            "seo_title",
            "seo_description",
        )
        if record.get(key) is not None
    }
    tags = record.get("tags")
    product["tags"] = [tag.strip() for tag in tags.split(",") if tag.strip()] if tags else []
    product["options"] = []
    for index in (1, 2, 3):
        name = record.get(f"option{index}_name")
        if name is not None:
            product["options"].append({"name": name, "values": []})
    product["variants"] = []
    product["media"] = []
    return product


def _csv_variant(record: dict[str, str | None]) -> dict[str, Any] | None:
    variant: dict[str, Any] = {
        key: record[key] for key in _VARIANT_COLUMNS if record.get(key) is not None and not key.startswith("option")
    }
    variant["option_values"] = [
        value for value in (record.get(f"option{index}_value") for index in (1, 2, 3)) if value is not None
    ]
    prices: dict[str, dict[str, Any]] = {}
    for key, value in record.items():
        match = _PRICE_COLUMN.fullmatch(key)
        if match is None or value is None:
            continue
        kind, currency = match.groups()
        price = prices.setdefault(currency, {"currency": currency})
        price["amount" if kind == "price" else "compare_at_amount"] = _amount(value)
    variant["prices"] = list(prices.values())
    if len(variant) == 2 and not variant["option_values"] and not variant["prices"]:
        return None  # a product row without variant data
    return variant


def _fill_option_values(raw: dict[str, Any]) -> None:
    """CSV options list their values as the variants use them, in order of first use."""
    for index, option in enumerate(raw.get("options", [])):
        if isinstance(option, dict) and option.get("values") == []:
            values = [v["option_values"][index] for v in raw["variants"] if len(v["option_values"]) > index]
            option["values"] = list(dict.fromkeys(values))


# --- validation -----------------------------------------------------------------------------------------------------


def _line_of(row: _Row, loc: Sequence[int | str]) -> int:
    """The line of a field: a CSV variant's own row, else the product's first line."""
    if not row.variant_lines or len(loc) < 2 or loc[0] != "variants" or not str(loc[1]).isdigit():
        return row.line
    index = int(loc[1])
    return row.variant_lines[index] if index < len(row.variant_lines) else row.line


def _validate(row: _Row) -> None:
    if row.variant_lines:
        _fill_option_values(row.raw)
    try:
        row.body = ProductCreate.model_validate(row.raw)
    except ValidationError as exc:
        row.errors += [
            ImportRowError(
                line=_line_of(row, error["loc"]),
                field=".".join(str(part) for part in error["loc"]) or None,
                code="invalid_input",
                message=error["msg"],
            )
            for error in exc.errors()
        ]
        return
    try:
        check_product_body(row.body)
    except Problem as problem:  # the body's own rules (option values, a SKU twice in the product)
        field_name = problem.extra.get("field")
        row.errors.append(
            ImportRowError(
                line=_line_of(row, str(field_name or "").split(".")),
                field=field_name,
                code=problem.code,
                message=str(problem),
            )
        )


async def _check_uniqueness(db: AsyncSession, rows: list[_Row]) -> None:
    """Handles and SKUs: unique across the file and against the shop; generated handles are chosen here."""
    valid = [row for row in rows if row.body is not None and not row.errors]
    explicit = [row.body.handle for row in valid if row.body is not None and row.body.handle is not None]
    taken_handles = set(await repository.get_handles(db, explicit)) if explicit else set()
    skus = [variant.sku for row in valid if row.body for variant in row.body.variants if variant.sku is not None]
    taken_skus = set()
    for start in range(0, len(skus), 5000):
        taken_skus |= set(await repository.sku_owners(db, skus[start : start + 5000]))
    seen_handles: set[str] = set()
    seen_skus: set[str] = set()
    for row in valid:
        assert row.body is not None
        handle = row.body.handle
        if handle is not None and (handle in taken_handles or handle in seen_handles):
            row.errors.append(
                ImportRowError(
                    line=row.line,
                    field="handle",
                    code="handle_already_exists",
                    message=f"handle {handle!r} is already taken (in the shop or earlier in the file)",
                )
            )
        for index, variant in enumerate(row.body.variants):
            if variant.sku is not None and (variant.sku in taken_skus or variant.sku in seen_skus):
                row.errors.append(
                    ImportRowError(
                        line=_line_of(row, ["variants", index]),
                        field=f"variants.{index}.sku",
                        code="sku_already_exists",
                        message=f"SKU {variant.sku!r} is already taken (in the shop or earlier in the file)",
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
