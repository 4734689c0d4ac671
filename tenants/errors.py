from __future__ import annotations

from core.errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable


class TenantNotFound(NotFound):
    code = "tenant_not_found"
    title = "No tenant matches this request."


class TenantRequired(BadRequest):
    code = "tenant_required"
    title = "This endpoint needs a tenant: call it on the tenant's host or send an X-Tenant header."


class InvalidTenantIdentifier(BadRequest):
    code = "invalid_tenant_identifier"
    title = "The tenant identifier is malformed."


class TenantSuspended(Forbidden):
    code = "tenant_suspended"
    title = "This tenant is suspended."


class TenantProvisioning(ServiceUnavailable):
    code = "tenant_provisioning"
    title = "This tenant is still being provisioned; retry shortly."


class TenantSlugTaken(Conflict):
    code = "tenant_slug_taken"
    title = "A tenant with this slug already exists."


class TenantDomainTaken(Conflict):
    code = "tenant_domain_taken"
    title = "This domain is already attached to a tenant."


class TenantDomainNotFound(NotFound):
    code = "tenant_domain_not_found"
    title = "The tenant has no such domain."


class InvalidTenantTransition(Conflict):
    code = "invalid_tenant_transition"
    title = "The tenant cannot make this status change from its current status."


class ReservedDomain(InvalidInput):
    code = "reserved_domain"
    title = "Subdomains of the platform's base domain cannot be attached as custom domains."


class TenantLookupUnavailable(ServiceUnavailable):
    code = "tenant_lookup_unavailable"
    title = "The tenant registry cannot be reached; retry shortly."


class TaskTenantMissing(BadRequest):
    code = "task_tenant_missing"
    title = "A tenant task was sent without a tenant header; it never falls back to another tenant."


class TaskTenantUnavailable(Conflict):
    code = "task_tenant_unavailable"
    title = "The task's tenant is unknown or not active; the task did nothing."


class CitusNotInstalled(Conflict):
    code = "citus_not_installed"
    title = "This database is not a Citus coordinator (no citus extension)."
