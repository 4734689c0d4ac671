"""Mail: tenant-branded messages through a real SMTP server (aiosmtpd), the dev outbox and its CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
import typer
from markupsafe import escape
from typer.testing import CliRunner

from auth.staff import repository as staff_repository
from cli.mail import mail_app
from core.db import Database
from core.jobs import RetryLater
from core.settings import Settings, get_settings
from mail import service as mail_service
from mail.message import OutgoingMail, build_message
from mail.outbox import outbox_dir, read_message
from mail.rendering import render
from mail.sender import OutboxSender, SmtpSender, create_mail_sender
from tenants import repository as tenants_repository
from tenants.context import TenantContext, tenant_session
from tests.fixtures.mail import MailServer, free_port, mail_settings
from tests.fixtures.tenants import TenantHandle

SHOP = "Bücher & Söhne"


def branded_mail(**overrides: str) -> OutgoingMail:
    fields = {
        "to": "owner@books.example.com",
        "subject": f"Your shop {SHOP} is ready",
        "text": f"Welcome to {SHOP}.\n",
        "html": f"<p>Welcome to {escape(SHOP)}.</p>\n",
        "from_name": f"{SHOP} via Commerce",
        "reply_to": "support@books.example.com",
        **overrides,
    }
    return OutgoingMail(**fields)


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML alternatives, checking that the message is exactly that pair, text first."""
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    text, html = (part.get_content() for part in parts if isinstance(part, EmailMessage))
    return str(text), str(html)


async def tenant_context(database: Database, tenant: TenantHandle) -> TenantContext:
    async with database.public_session() as db:
        registered = await tenants_repository.get_by_slug(db, tenant.slug)
    assert registered is not None
    return TenantContext.of(registered)


async def test_smtp_sender_delivers_text_and_html_alternatives(
    mail_server: MailServer, smtp_settings: Settings
) -> None:
    await create_mail_sender(smtp_settings).send(branded_mail())

    [envelope] = mail_server.envelopes
    assert envelope.mail_from == "no-reply@mail.example.com"
    assert envelope.rcpt_tos == ["owner@books.example.com"]
    [message] = mail_server.messages()
    assert message["Subject"] == f"Your shop {SHOP} is ready"
    assert message["From"].addresses[0].display_name == f"{SHOP} via Commerce"
    assert message["From"].addresses[0].addr_spec == "no-reply@mail.example.com"
    assert message["Reply-To"] == "support@books.example.com"
    text, html = bodies(message)
    assert SHOP in text
    assert str(escape(SHOP)) in html


async def test_stray_mail_environment_variables_are_ignored(
    monkeypatch: pytest.MonkeyPatch, mail_server: MailServer, smtp_settings: Settings
) -> None:
    # fastapi-mail's ConnectionConfig is a BaseSettings: without explicit fields these would win.
    for name, value in {
        "MAIL_SERVER": "smtp.invalid",
        "MAIL_PORT": "1",
        "MAIL_STARTTLS": "true",
        "USE_CREDENTIALS": "true",
        "SUPPRESS_SEND": "1",
        "TIMEOUT": "1",
    }.items():
        monkeypatch.setenv(name, value)

    await SmtpSender(smtp_settings.mail).send(branded_mail())

    assert len(mail_server.envelopes) == 1


async def test_unreachable_mail_server_is_retried_later(settings: Settings) -> None:
    unreachable = mail_settings(settings, host="127.0.0.1", port=free_port(), starttls=False, timeout_seconds=2)

    with pytest.raises(RetryLater):
        await create_mail_sender(unreachable).send(branded_mail())


async def test_a_greylisted_recipient_is_retried_later(mail_server: MailServer, smtp_settings: Settings) -> None:
    mail_server.refuse_recipients["owner@books.example.com"] = "451 4.7.1 Greylisted, try again later"

    with pytest.raises(RetryLater, match="451"):
        await create_mail_sender(smtp_settings).send(branded_mail())
    assert mail_server.envelopes == []


async def test_a_permanently_refused_recipient_is_not_retried(mail_server: MailServer, smtp_settings: Settings) -> None:
    mail_server.refuse_recipients["owner@books.example.com"] = "550 5.1.1 No such user"

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await create_mail_sender(smtp_settings).send(branded_mail())


def test_starttls_and_implicit_tls_together_are_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="exclusive"):
        create_mail_sender(mail_settings(settings, host="smtp.example.com", starttls=True, ssl_tls=True))


def test_a_from_address_smtp_would_refuse_is_refused_with_the_settings(settings: Settings) -> None:
    with pytest.raises(ValueError, match="special-use or reserved name"):
        create_mail_sender(mail_settings(settings, host="smtp.example.com", from_email="shops@commerce.test"))


async def test_welcome_mail_is_branded_for_the_tenant_and_goes_to_its_owner(
    database: Database, tenant_a: TenantHandle, mail_server: MailServer, smtp_settings: Settings
) -> None:
    tenant = await tenant_context(database, tenant_a)
    async with tenant_session(database, tenant) as db:
        owner = await staff_repository.get_by_email(db, tenant_a.owner_email)
        assert owner is not None
        sent = await mail_service.send_welcome(
            db, tenant, create_mail_sender(smtp_settings), smtp_settings, staff_id=owner.id
        )

    assert sent is not None
    [envelope] = mail_server.envelopes
    assert envelope.rcpt_tos == [tenant_a.owner_email]
    [message] = mail_server.messages()
    assert tenant_a.name in message["Subject"]
    assert message["From"].addresses[0].display_name == f"{tenant_a.name} via Commerce"
    assert message["Reply-To"] == tenant_a.owner_email  # provisioning makes the owner the support address
    text, html = bodies(message)
    for body, shop_name in [(text, tenant_a.name), (html, str(escape(tenant_a.name)))]:
        assert shop_name in body
        assert f"{tenant_a.slug}.localhost" in body
        assert "/admin/v1/auth/token" in body
        assert tenant_a.owner_password not in body  # shown once to the caller, never mailed


async def test_welcome_mail_is_not_sent_to_an_unknown_staff_member(
    database: Database, tenant_a: TenantHandle, mail_server: MailServer, smtp_settings: Settings
) -> None:
    tenant = await tenant_context(database, tenant_a)
    async with tenant_session(database, tenant) as db:
        sent = await mail_service.send_welcome(
            db, tenant, create_mail_sender(smtp_settings), smtp_settings, staff_id=uuid.uuid4()
        )

    assert sent is None
    assert mail_server.envelopes == []


def test_html_templates_escape_tenant_input() -> None:
    html = render(
        "welcome.html",
        shop_name="<script>alert(1)</script>",
        support_email=None,
        platform_name="Commerce",
        owner_name="",
        owner_email="o@example.com",
        slug="evil",
        shop_host=None,
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_line_breaks_in_a_shop_name_cannot_inject_headers() -> None:
    message = build_message(
        branded_mail(subject="Hi\r\nBcc: victim@example.com", from_name="Shop\nBcc: victim@example.com"),
        from_email="no-reply@mail.example.com",
    )
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi Bcc: victim@example.com"


@pytest.fixture
def fresh_settings_cache() -> Iterator[None]:
    # get_settings is lru_cached: the CLI must read this test's environment, and later tests their own.
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings_cache")
async def test_outbox_holds_the_message_and_the_cli_lists_and_shows_it(outbox_settings: Settings) -> None:
    sender = create_mail_sender(outbox_settings)
    assert isinstance(sender, OutboxSender)
    await sender.send(branded_mail(subject="Older"))
    await sender.send(branded_mail())

    directory = outbox_dir(outbox_settings)
    files = sorted(path.name for path in directory.iterdir())
    assert len(files) == 2
    assert all(name.endswith(".eml") for name in files)  # no temporary file left behind
    newest = directory / files[-1]
    text, html = bodies(read_message(newest))
    assert SHOP in text
    assert str(escape(SHOP)) in html

    cli = typer.Typer()
    cli.add_typer(mail_app, name="mail")  # as cli/main.py mounts it
    env = {"COMMERCE_DATA_DIR": outbox_settings.data_dir, "COMMERCE_MAIL__HOST": "", "COLUMNS": "250"}
    runner = CliRunner()
    listed = runner.invoke(cli, ["mail", "outbox"], env=env)
    assert listed.exit_code == 0, listed.output
    assert listed.output.index(newest.name) < listed.output.index(files[0])  # newest first
    assert f"Your shop {SHOP} is ready" in listed.output
    assert "owner@books.example.com" in listed.output

    shown = runner.invoke(cli, ["mail", "outbox", "--show", "1"], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"Welcome to {SHOP}." in shown.output
    assert "Reply-To: support@books.example.com" in shown.output
    by_name = runner.invoke(cli, ["mail", "outbox", "--show", newest.name], env=env)
    assert by_name.output == shown.output
    missing = runner.invoke(cli, ["mail", "outbox", "--show", "3"], env=env)
    assert missing.exit_code == 1


@pytest.mark.usefixtures("fresh_settings_cache")
def test_empty_outbox_is_reported(tmp_path: Path) -> None:
    cli = typer.Typer()
    cli.add_typer(mail_app, name="mail")
    result = CliRunner().invoke(cli, ["mail", "outbox"], env={"COMMERCE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0
    assert "no messages" in result.output
