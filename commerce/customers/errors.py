from __future__ import annotations

from auth.customers.errors import CustomerAlreadyExists, CustomerNotFound
from core.errors import Conflict, NotFound


class CustomerExternalIdTaken(Conflict):
    code = "customer_external_id_taken"
    title = "Another customer already has this external id."


class CustomerErased(Conflict):
    code = "customer_erased"
    title = "The customer was erased; their record can no longer change."


class CustomerAddressNotFound(NotFound):
    code = "customer_address_not_found"
    title = "The address does not exist."


class CustomerAddressLimitReached(Conflict):
    code = "customer_address_limit_reached"
    title = "The customer already has the maximum number of addresses."


class CustomerDataExportNotFound(NotFound):
    code = "customer_data_export_not_found"
    title = "The data export does not exist."


__all__ = [
    "CustomerAddressLimitReached",
    "CustomerAddressNotFound",
    "CustomerAlreadyExists",
    "CustomerDataExportNotFound",
    "CustomerErased",
    "CustomerExternalIdTaken",
    "CustomerNotFound",
]
