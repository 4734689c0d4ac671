from __future__ import annotations

import uuid

from tenants.context import TenantContext, current_tenant
from tenants.models import TenantStatus
from workers.app import _stamp_tenant
from workers.task import TENANT_HEADER


def test_publishing_inside_a_tenant_stamps_the_header_and_shows_the_tenant_to_flower() -> None:
    tenant = TenantContext(id=uuid.uuid4(), slug="acme", schema_name="t_acme", status=TenantStatus.ACTIVE)
    headers: dict[str, object] = {"kwargsrepr": "{'staff_id': 1}"}
    token = current_tenant.set(tenant)
    try:
        _stamp_tenant(headers=headers)
    finally:
        current_tenant.reset(token)
    assert headers[TENANT_HEADER] == str(tenant.id)
    assert headers["kwargsrepr"] == f"tenant={tenant.id} {{'staff_id': 1}}"


def test_an_explicit_header_is_never_overwritten_by_the_running_task() -> None:
    running = TenantContext(id=uuid.uuid4(), slug="a", schema_name="t_a", status=TenantStatus.ACTIVE)
    explicit = str(uuid.uuid4())
    headers: dict[str, object] = {TENANT_HEADER: explicit}
    token = current_tenant.set(running)
    try:
        _stamp_tenant(headers=headers)
    finally:
        current_tenant.reset(token)
    assert headers[TENANT_HEADER] == explicit


def test_publishing_outside_any_tenant_adds_no_header() -> None:
    headers: dict[str, object] = {}
    _stamp_tenant(headers=headers)
    assert TENANT_HEADER not in headers
