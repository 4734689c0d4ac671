"""Senders: SMTP through fastapi-mail's connection in production, the ``.eml`` outbox in development.

Both send the same bytes, built by ``build_message``: what a developer reads in the outbox is what
SMTP would deliver. fastapi-mail provides the connection (TLS, login, timeout) but not the message:
its builder wraps the alternatives in ``multipart/related`` with a base64 transfer encoding on the
multipart, and turns a bare recipient ``a@b`` into ``a <a@b>``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

import aiosmtplib
from fastapi_mail import ConnectionConfig
from fastapi_mail.connection import Connection
from fastapi_mail.errors import ConnectionErrors
from pydantic import ValidationError

from core.jobs import RetryLater
from core.settings import MailSettings, Settings
from mail.message import OutgoingMail, build_message
from mail.outbox import outbox_dir, write_message

log = logging.getLogger(__name__)

# Failures after which nothing was accepted and another try may succeed: the task retries with backoff.
_TRANSIENT = (ConnectionErrors, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError)


class MailSender(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


class SmtpSender:
    def __init__(self, settings: MailSettings) -> None:
        self._from_email = settings.from_email
        self._config = connection_config(settings)

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, from_email=self._from_email)
        try:
            async with Connection(self._config) as smtp:
                await smtp.session.send_message(message)
        except _TRANSIENT as exc:
            raise RetryLater(f"SMTP server unavailable: {exc}") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # Greylisting refuses at RCPT TO with 4xx: retry when every refusal is temporary, else it is final.
            if exc.recipients and all(400 <= refusal.code < 500 for refusal in exc.recipients):
                replies = "; ".join(f"{refusal.code} {refusal.message}" for refusal in exc.recipients)
                raise RetryLater(f"SMTP server deferred the recipients: {replies}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:  # 4xx: "try again later", by definition (RFC 5321 4.2.1)
                raise RetryLater(f"SMTP server deferred the message: {exc.code} {exc.message}") from exc
            raise


class OutboxSender:
    def __init__(self, directory: Path, *, from_email: str) -> None:
        self.directory = directory
        self._from_email = from_email

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, from_email=self._from_email)
        path = await asyncio.to_thread(write_message, self.directory, message)
        log.info("mail written to the outbox", extra={"path": str(path)})


def create_mail_sender(settings: Settings) -> MailSender:
    """SMTP when ``mail.host`` is set; otherwise (development) the outbox under ``data_dir``."""
    if settings.mail.host:
        return SmtpSender(settings.mail)
    return OutboxSender(outbox_dir(settings), from_email=settings.mail.from_email)


# fastapi-mail's field for each of our settings, so that its validation errors name our variables.
_VARIABLES = {
    "MAIL_SERVER": "COMMERCE_MAIL__HOST",
    "MAIL_PORT": "COMMERCE_MAIL__PORT",
    "MAIL_USERNAME": "COMMERCE_MAIL__USERNAME",
    "MAIL_PASSWORD": "COMMERCE_MAIL__PASSWORD",
    "MAIL_STARTTLS": "COMMERCE_MAIL__STARTTLS",
    "MAIL_SSL_TLS": "COMMERCE_MAIL__SSL_TLS",
    "VALIDATE_CERTS": "COMMERCE_MAIL__VALIDATE_CERTS",
    "TIMEOUT": "COMMERCE_MAIL__TIMEOUT_SECONDS",
    "MAIL_FROM": "COMMERCE_MAIL__FROM_EMAIL",
    "MAIL_FROM_NAME": "COMMERCE_MAIL__FROM_NAME",
}


def connection_config(settings: MailSettings) -> ConnectionConfig:
    """Every field passed explicitly: ``ConnectionConfig`` is a BaseSettings and reads stray ``MAIL_*`` variables."""
    if settings.starttls and settings.ssl_tls:
        # aiosmtplib refuses the pair when connecting, and fastapi-mail reports that as a connection error.
        raise ValueError("COMMERCE_MAIL__STARTTLS and COMMERCE_MAIL__SSL_TLS are exclusive: set one")
    try:
        return ConnectionConfig(
            MAIL_SERVER=settings.host,
            MAIL_PORT=settings.port,
            MAIL_USERNAME=settings.username,
            MAIL_PASSWORD=settings.password,
            USE_CREDENTIALS=bool(settings.username),
            MAIL_STARTTLS=settings.starttls,
            MAIL_SSL_TLS=settings.ssl_tls,
            VALIDATE_CERTS=settings.validate_certs,
            TIMEOUT=settings.timeout_seconds,
            MAIL_FROM=settings.from_email,
            MAIL_FROM_NAME=settings.from_name,
            MAIL_DEBUG=0,
            SUPPRESS_SEND=0,
            TEMPLATE_FOLDER=None,
            LOCAL_HOSTNAME=None,
            CERT_BUNDLE=None,
        )
    except ValidationError as exc:
        # Settings validate the From address already; this names our variable if fastapi-mail still objects.
        problems = "; ".join(f"{_VARIABLES.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"invalid mail settings: {problems}") from exc
