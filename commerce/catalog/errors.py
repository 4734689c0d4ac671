from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound
from core.errors import IdempotencyKeyReused as IdempotencyKeyReused  # one code, re-exported


class ProductNotFound(NotFound):
    code = "product_not_found"
    title = "The product does not exist."


class VariantNotFound(NotFound):
    code = "variant_not_found"
    title = "The variant does not exist."


class CollectionNotFound(NotFound):
    code = "collection_not_found"
    title = "The collection does not exist."


class ProductImportNotFound(NotFound):
    code = "product_import_not_found"
    title = "The product import does not exist."


class HandleAlreadyExists(Conflict):
    code = "handle_already_exists"
    title = "Another product or collection of the shop already has this handle."


class SkuAlreadyExists(Conflict):
    code = "sku_already_exists"
    title = "A variant with this SKU already exists."


class VariantOptionsTaken(Conflict):
    code = "variant_options_taken"
    title = "Another variant of the product already has these option values."


class InvalidVariantOptions(InvalidInput):
    code = "invalid_variant_options"
    title = "The variant's option values do not match the product's options."


class ProductNotInCollection(NotFound):
    code = "product_not_in_collection"
    title = "The product is not in the collection."


class UnknownProducts(InvalidInput):
    code = "unknown_products"
    title = "Some of the products do not exist."


class ImportFileInvalid(InvalidInput):
    code = "import_file_invalid"
    title = "The import file is empty, too large or not in the declared format."


class InvalidSearchQuery(InvalidInput):
    code = "invalid_search_query"
    title = "The search query has no searchable word."


class ImportInProgress(Conflict):
    code = "import_in_progress"
    title = "An upload with this Idempotency-Key is being stored right now; retry to get its import."
