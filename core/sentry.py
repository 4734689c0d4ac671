"""Error reporting (Sentry), when a DSN is configured. Events carry the tenant and the request id, and
never credentials or personal data: personal data collection stays off, frame locals are not sent, and
``scrub`` removes what remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sentry_sdk
from sentry_sdk.integrations import Integration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from core.logging import redact_sql_values, request_id_var, tenant_slug_var
from core.settings import Settings

# Beyond Sentry's defaults: our own credential-bearing names.
_DENYLIST = [*DEFAULT_DENYLIST, "owner_password", "access_token", "refresh_token", "x-api-key", "client_secret"]
_SENSITIVE_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization"}


def scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Tag the event with the unit of work's tenant and request id; drop credentials Sentry might keep."""
    tags = event.setdefault("tags", {})
    tenant, request_id = tenant_slug_var.get(), request_id_var.get()
    if tenant:
        tags["tenant"] = tenant
    if request_id:
        tags["request_id"] = request_id
    request = event.get("request") or {}
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: v for k, v in headers.items() if k.lower() not in _SENSITIVE_HEADERS}
    request.pop("cookies", None)
    request.pop("data", None)  # request bodies may hold passwords and personal data
    event.pop("user", None)
    # A database error's message quotes the values it refused (an email in a DETAIL line, say).
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact_sql_values(exception["value"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict) and isinstance(logentry.get("formatted"), str):
        logentry["formatted"] = redact_sql_values(logentry["formatted"])
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = redact_sql_values(crumb["message"])
    return event


def init_sentry(settings: Settings, integrations: Sequence[Integration], **options: Any) -> bool:
    """Start reporting to Sentry if a DSN is set; returns whether it did."""
    dsn = settings.sentry.dsn.get_secret_value()
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=settings.sentry.environment or settings.environment.value,
        traces_sample_rate=settings.sentry.traces_sample_rate,
        # Personal data stays out (the SDK's default); so do frame locals, where passwords and raw ASGI
        # scopes (with Authorization headers) live.
        include_local_variables=False,
        event_scrubber=EventScrubber(denylist=_DENYLIST, recursive=True),
        before_send=scrub,  # type: ignore[arg-type]
        integrations=list(integrations),
        **options,
    )
    return True
