from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound


class TaxClassNotFound(NotFound):
    code = "tax_class_not_found"
    title = "The tax class does not exist."


class TaxRateNotFound(NotFound):
    code = "tax_rate_not_found"
    title = "The tax rate does not exist."


class TaxClassCodeTaken(Conflict):
    code = "tax_class_code_taken"
    title = "Another tax class already has this code."


class TaxClassInUse(Conflict):
    code = "tax_class_in_use"
    title = "The tax class still has rates; delete them first."


class TaxRateExists(Conflict):
    code = "tax_rate_exists"
    title = "A rate already exists for this class, country and subdivision."


class UnknownTaxClass(InvalidInput):
    code = "unknown_tax_class"
    title = "No tax class has this id."
