"""Structured JSON logs; every line carries the request id and the tenant of the unit of work.

The tenant itself travels as an explicit ``TenantContext``; the context variables here only mirror
it (and the request id) so log lines and error reports can name them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from core.settings import LogSettings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_slug_var: ContextVar[str | None] = ContextVar("tenant_slug", default=None)

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged as a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "tenant",
}


def capture_context() -> None:
    """Stamp each log record with the request id and tenant when it is created, not when it is formatted
    (a queued or buffered handler formats later, in another context). Idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "captures_context", False):
        return

    def record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = request_id_var.get()
        record.tenant = tenant_slug_var.get()
        return record

    record_with_context.captures_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_context)


# Values a database error carries in its text, whatever the engine's hide_parameters: SQLAlchemy's parameter list
# (engines built elsewhere), PostgreSQL's DETAIL line ("Key (email)=(ada@example.com) already exists.") and the
# rejected value in "invalid input syntax for type uuid: \"...\"". Names, emails and hashes stay out of logs and
# Sentry; the statement and the constraint name stay in.
_SQL_VALUES = (
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL), "[parameters: hidden]"),
    (re.compile(r"^(DETAIL:\s+).+$", re.MULTILINE), r"\1[redacted]"),
    (re.compile(r'(invalid input (?:syntax|value) for (?:type|enum) [^:\n]+: )"[^"\n]*"'), r'\1"[redacted]"'),
)


def redact_sql_values(text: str) -> str:
    """``text`` (an exception's message or traceback) without the data values a database error quotes."""
    for pattern, replacement in _SQL_VALUES:
        text = pattern.sub(replacement, text)
    return text


class RedactedExceptions(logging.Formatter):
    """Tracebacks without the values a database error quotes (see ``redact_sql_values``)."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return redact_sql_values(super().formatException(ei))


class JsonFormatter(RedactedExceptions):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "tenant": getattr(record, "tenant", None) or tenant_slug_var.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ContextTextFormatter(RedactedExceptions):
    def format(self, record: logging.LogRecord) -> str:
        tenant = getattr(record, "tenant", None) or tenant_slug_var.get()
        prefix = f"[{tenant}] " if tenant else ""
        # Redacted whole: another handler may have cached the record's traceback text (record.exc_text) unredacted.
        return redact_sql_values(f"{record.levelname:<7} {record.name}: {prefix}{super().format(record)}")


# Libraries that log credentials at DEBUG (authlib logs every token it issues): never below INFO.
_LEAKY_LOGGERS = ("authlib",)
# Every secret we issue is `<prefix>_<43 url-safe characters>` (auth/secrets.py).
_SECRET = re.compile(r"\b([a-z]{2,3})_[A-Za-z0-9_-]{40,}")


def quiet_leaky_loggers() -> None:
    for name in _LEAKY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO or logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


class RedactSecrets(logging.Filter):
    """Defence in depth: a generated secret that reaches a log line anyway is cut to its prefix, and a database
    error's values interpolated into a message (``log.warning("...: %s", error)``) are hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_sql_values(_SECRET.sub(r"\1_[redacted]", message))
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# Their INFO is machinery, not news, on a developer's console: the embedded server's command lines,
# Alembic's per-revision chatter, the in-process worker's per-task lines, each HTTP call to Stripe (or its fake).
# Warnings still show.
_CHATTY_IN_DEVELOPMENT = ("pgserver", "alembic", "kombu", "celery", "httpx")


def configure_logging(settings: LogSettings, *, console: bool = False) -> None:
    """Logs on stderr: JSON lines for machines, or (``console``: the dev server) readable lines without the
    third-party INFO chatter, unless ``COMMERCE_LOG__JSON_FORMAT`` was set explicitly."""
    if console and "json_format" not in settings.model_fields_set:
        settings = settings.model_copy(update={"json_format": False})
    for name in _CHATTY_IN_DEVELOPMENT:
        logging.getLogger(name).setLevel(logging.WARNING if console else logging.NOTSET)
    capture_context()
    quiet_leaky_loggers()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if settings.json_format else ContextTextFormatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    # uvicorn's access log duplicates our request log line; its error log is kept.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
