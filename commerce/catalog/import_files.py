"""Reading an import file: JSON Lines or CSV to one row per product, each validated like an API body.

Used by ``commerce.catalog.imports``; every problem found here becomes an ``ImportRowError`` with the line it
came from (a CSV variant's own line).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from commerce.catalog.errors import ImportFileInvalid
from commerce.catalog.models import ImportFormat
from commerce.catalog.schemas import ImportRowError, ProductCreate
from commerce.catalog.service import check_product_body
from core.errors import Problem

MAX_ROWS = 100_000


@dataclass
class Row:
    line: int  # first line of the product in the file
    raw: dict[str, Any]
    variant_lines: list[int] = field(default_factory=list)  # CSV: the line of each variant
    body: ProductCreate | None = None
    errors: list[ImportRowError] = field(default_factory=list)
    replaces: uuid.UUID | None = None  # the shop's product with this handle, which the row replaces


# --- parsing --------------------------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid("the file is not UTF-8 text") from exc


def parse(content: bytes, file_format: ImportFormat) -> tuple[list[Row], list[ImportRowError]]:
    text = _decode(content)
    rows, errors = (_parse_jsonl if file_format is ImportFormat.JSONL else _parse_csv)(text)
    if len(rows) > MAX_ROWS:
        raise ImportFileInvalid(f"the file has more than {MAX_ROWS} products")
    return rows, errors


def _parse_jsonl(text: str) -> tuple[list[Row], list[ImportRowError]]:
    rows: list[Row] = []
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
        rows.append(Row(line=number, raw=value))
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


def _parse_csv(text: str) -> tuple[list[Row], list[ImportRowError]]:
    """One row per variant; rows sharing a handle form one product (its fields come from its first row)."""
    products: dict[str, Row] = {}
    errors: list[ImportRowError] = []
    for line, record in _csv_records(text):
        handle = record.get("handle")
        if handle is None:
            errors.append(ImportRowError(line=line, field="handle", code="invalid_input", message="handle is required"))
            continue
        row = products.get(handle)
        if row is None:
            row = products[handle] = Row(line=line, raw=_csv_product(record))
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


def line_of(row: Row, loc: Sequence[int | str]) -> int:
    """The line of a field: a CSV variant's own row, else the product's first line."""
    if not row.variant_lines or len(loc) < 2 or loc[0] != "variants" or not str(loc[1]).isdigit():
        return row.line
    index = int(loc[1])
    return row.variant_lines[index] if index < len(row.variant_lines) else row.line


def validate(row: Row) -> None:
    if row.variant_lines:
        _fill_option_values(row.raw)
    try:
        row.body = ProductCreate.model_validate(row.raw)
    except ValidationError as exc:
        row.errors += [
            ImportRowError(
                line=line_of(row, error["loc"]),
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
                line=line_of(row, str(field_name or "").split(".")),
                field=field_name,
                code=problem.code,
                message=str(problem),
            )
        )
