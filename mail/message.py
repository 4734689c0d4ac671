"""The one message type every sender takes, and the one way it becomes an RFC 5322 message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A rendered message: a text body and its HTML alternative, from the platform's address."""

    to: str
    subject: str
    text: str
    html: str
    from_name: str  # display name only: the From address is always the platform's (SPF/DKIM/DMARC)
    reply_to: str | None = None


def build_message(mail: OutgoingMail, *, from_email: str) -> EmailMessage:
    """``multipart/alternative`` with the text part first: clients show the last part they can render."""
    message = EmailMessage()
    # Shop names are tenant input: a line break in a header would let a tenant inject headers.
    message["Subject"] = one_line(mail.subject)
    message["From"] = Address(display_name=one_line(mail.from_name), addr_spec=from_email)
    message["To"] = mail.to
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=from_email.rpartition("@")[2])
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def one_line(value: str) -> str:
    return " ".join(value.split())
