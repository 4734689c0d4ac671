"""The development outbox: one ``.eml`` file per message under ``<data_dir>/outbox``.

Files are named ``<UTC timestamp>-<uuid>.eml``, so sorting names sorts by time, and written to a
hidden temporary file first and renamed: a reader (``commerce mail outbox``) never sees half a message.
"""

from __future__ import annotations

import email
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from core.settings import Settings


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    path: Path
    date: datetime | None
    to: str
    subject: str


def outbox_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "outbox"


def write_message(directory: Path, message: EmailMessage) -> Path:
    """Write ``message`` atomically (temporary file, fsync, rename) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = directory / f"{stamp}-{uuid.uuid4().hex}.eml"
    # CRLF line endings, as RFC 5322 has them; mkstemp's 0600 suits messages that carry personal data.
    data = message.as_bytes(policy=policy.SMTP)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def read_message(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # an EmailMessage, by its policy


def outbox_files(directory: Path) -> list[Path]:
    """The messages in ``directory``, newest first (by name: nothing is parsed)."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.eml"), reverse=True)


def describe(path: Path) -> OutboxEntry:
    message = read_message(path)
    date_header = message["Date"]
    return OutboxEntry(
        path=path,
        date=getattr(date_header, "datetime", None),
        to=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
    )


def text_of(message: EmailMessage) -> str:
    """The message's text part, or "" when it has none."""
    part = message.get_body(preferencelist=("plain",))
    if not isinstance(part, EmailMessage):
        return ""
    content = part.get_content()
    return "\n".join(str(content).splitlines())
