"""Invitation and password-reset mails: sent by the real worker through real SMTP, with a token that works
once and that exists in clear nowhere but the mail (not in the database, the job message or a log)."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import uuid
from email.message import EmailMessage

import httpx
import pytest
from celery import Celery
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import text

from auth.action_tokens import service as action_tokens
from auth.action_tokens.models import Purpose
from auth.customers.models import Customer
from auth.errors import InvalidActionToken
from auth.runtime import AuthRuntime
from auth.secrets import SecretHasher
from core.db import Database
from core.jobs import Job
from core.settings import Settings
from mail import service as mail_service
from mail.sender import create_mail_sender
from tenants.context import TenantContext, tenant_session
from tests.fixtures.mail import MailServer
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.staff import InvitationToken, Invite, MakeStaff
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import TIMEOUT, context_of, send
from workers.app import dispatcher_of

TOKEN = re.compile(r"token=(act_[A-Za-z0-9_-]{43})")
PASSWORD = "correct horse battery staple"  # pragma: allowlist secret


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    parts = [part for part in message.iter_parts() if isinstance(part, EmailMessage)]
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    return str(parts[0].get_content()), str(parts[1].get_content())


async def mails_to(smtp_server: SmtpSink, address: str) -> list[EmailMessage]:
    return await asyncio.to_thread(smtp_server.messages_to, address, timeout=TIMEOUT)


async def assert_nowhere_in_the_schema(database: Database, tenant: TenantContext, secret: str) -> None:
    """Every row of every table of the tenant's schema, as text, without the secret (or its bytes in hex)."""
    async with tenant_session(database, tenant) as db:
        tables = (
            await db.scalars(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :schema"),
                {"schema": tenant.schema_name},
            )
        ).all()
        assert "action_tokens" in tables
        for table in tables:
            rows = (await db.scalars(text(f'SELECT t::text FROM "{table}" t'))).all()
            for row in rows:
                assert secret not in row, table
                assert secret.encode().hex() not in row, table


def assert_not_logged(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    # The test's own SMTP server (aiosmtpd, logger "mail.log") is the recipient, not the product.
    for record in caplog.records:
        if record.name.startswith("mail.log"):
            continue
        assert secret not in record.getMessage(), record.name
        assert secret not in str(record.__dict__), record.name


async def test_an_invitation_is_mailed_by_the_worker_with_a_link_that_works_once(
    celery_worker: Celery,
    smtp_server: SmtpSink,
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    invite: Invite,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dispatcher = dispatcher_of(app.state.commerce.celery)
    dispatched: list[Job] = []
    deliver = dispatcher.dispatch

    def record(job: Job) -> None:
        dispatched.append(job)
        deliver(job)

    monkeypatch.setattr(dispatcher, "dispatch", record)
    caplog.set_level(logging.DEBUG)
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"

    invited = await invite(tenant_a, "admin", email=email)

    [message] = await mails_to(smtp_server, email)
    # The job message (published by the outbox relay before the mail could go out) carries the member's id only.
    # (The relay publishes asynchronously: the tenant's own welcome job may be recorded here too.)
    assert [(job.name, job.kwargs) for job in dispatched if job.name != "mail.send_welcome"] == [
        ("mail.send_staff_invitation", {"staff_id": invited["id"]})
    ]
    assert message["Subject"] == f"You are invited to join {tenant_a.name}"
    assert message["From"].addresses[0].display_name == f"{tenant_a.name} via Commerce"
    assert message["Reply-To"] == tenant_a.owner_email
    body, html = text_and_html(message)
    assert tenant_a.name in body
    assert str(escape(tenant_a.name)) in html
    assert "as admin" in body
    assert "7 days" in body
    match = TOKEN.search(body)
    assert match is not None, body
    token = match.group(1)
    assert f"https://dashboard.example.com/invitations/accept?shop={tenant_a.slug}&token={token}" in body
    assert str(escape(f"?shop={tenant_a.slug}&token={token}")) in html

    tenant = await context_of(database, tenant_a)
    expected = SecretHasher(settings.auth).hash(token, tenant_id=tenant.id)
    # The job sends, then commits: the mail can arrive a moment before its token is visible.
    deadline, hashes = time.monotonic() + TIMEOUT, []
    while expected not in hashes and time.monotonic() < deadline:
        async with tenant_session(database, tenant) as db:
            query = text("SELECT token_hash FROM action_tokens WHERE subject_id = :id")
            hashes = [bytes(h) for h in (await db.scalars(query, {"id": invited["id"]})).all()]
        await asyncio.sleep(0.02)
    assert expected in hashes
    await assert_nowhere_in_the_schema(database, tenant, token)

    url, headers = "/admin/v1/staff/invitations/accept", {"x-tenant": tenant_a.slug}
    first = await client.post(url, json={"token": token, "password": PASSWORD}, headers=headers)
    second = await client.post(url, json={"token": token, "password": PASSWORD}, headers=headers)
    assert first.status_code == 200
    assert second.status_code == 422
    assert second.json()["code"] == "invalid_action_token"
    assert_not_logged(caplog, token)
    for access in (first.json()["access_token"], first.json()["refresh_token"]):
        await assert_nowhere_in_the_schema(database, tenant, access)
        assert_not_logged(caplog, access)


async def test_a_member_who_is_no_longer_pending_gets_no_invitation(
    database: Database,
    mail_server: MailServer,
    smtp_settings: Settings,
    tenant_a: TenantHandle,
    make_staff: MakeStaff,
    invite: Invite,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    accepted = await make_staff(tenant_a)
    deactivated = await invite(tenant_a)
    await client.post(f"/admin/v1/staff/{deactivated['id']}/deactivate", headers=tenant_a.headers)
    tenant = await context_of(database, tenant_a)
    sender, auth = create_mail_sender(smtp_settings), AuthRuntime.build(smtp_settings)
    caplog.set_level(logging.INFO, logger="mail.service")

    for staff_id in (accepted.id, str(deactivated["id"]), str(uuid.uuid4())):
        async with tenant_session(database, tenant) as db:
            sent = await mail_service.send_staff_invitation(
                db, tenant, sender, smtp_settings, auth, staff_id=uuid.UUID(staff_id)
            )
        assert sent is None

    assert mail_server.envelopes == []
    # This thread's records only: the suite's worker may skip the deactivated member's queued job meanwhile.
    mine = [r for r in caplog.records if r.name == "mail.service" and r.thread == threading.get_ident()]
    assert [r.levelno for r in mine] == [logging.INFO] * 3


async def make_customer(database: Database, tenant: TenantContext, *, name: str = "Ada") -> Customer:
    async with tenant_session(database, tenant) as db:
        customer = Customer(email=f"shopper-{uuid.uuid4().hex[:8]}@example.com", name=name)
        db.add(customer)
        await db.commit()
    return customer


async def test_a_password_reset_is_mailed_by_the_worker_with_a_link_to_the_shops_host(
    celery_worker: Celery,
    smtp_server: SmtpSink,
    database: Database,
    settings: Settings,
    tenant_a: TenantHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = await context_of(database, tenant_a)
    customer = await make_customer(database, tenant)
    caplog.set_level(logging.DEBUG)

    send(celery_worker, "mail.send_password_reset", tenant, customer_id=str(customer.id)).get(timeout=TIMEOUT)

    [message] = await mails_to(smtp_server, customer.email)
    assert message["Subject"] == f"Reset your password at {tenant_a.name}"
    body, html = text_and_html(message)
    assert "Hello Ada" in body
    assert "1 hour" in body
    match = TOKEN.search(body)
    assert match is not None, body
    token = match.group(1)
    assert f"https://{tenant_a.slug}.localhost/oauth/password-reset?token={token}" in body
    assert token in html
    await assert_nowhere_in_the_schema(database, tenant, token)
    assert_not_logged(caplog, token)
    auth = AuthRuntime.build(settings)
    async with tenant_session(database, tenant) as db:
        with pytest.raises(InvalidActionToken):  # bound to its purpose
            await action_tokens.consume(db, auth, tenant.id, Purpose.STAFF_INVITATION, token)
    async with tenant_session(database, tenant) as db:
        assert await action_tokens.consume(db, auth, tenant.id, Purpose.PASSWORD_RESET, token) == customer.id
        await db.commit()
    async with tenant_session(database, tenant) as db:
        with pytest.raises(InvalidActionToken):  # once
            await action_tokens.consume(db, auth, tenant.id, Purpose.PASSWORD_RESET, token)


async def test_a_new_reset_mail_spends_the_previous_link(
    database: Database, mail_server: MailServer, smtp_settings: Settings, tenant_a: TenantHandle
) -> None:
    tenant = await context_of(database, tenant_a)
    customer = await make_customer(database, tenant)
    sender, auth = create_mail_sender(smtp_settings), AuthRuntime.build(smtp_settings)
    tokens = []
    for _ in range(2):
        async with tenant_session(database, tenant) as db:
            sent = await mail_service.send_password_reset(
                db, tenant, sender, smtp_settings, auth, customer_id=customer.id
            )
            await db.commit()
        assert sent is not None
        match = TOKEN.search(sent.text)
        assert match is not None
        tokens.append(match.group(1))

    assert [envelope.rcpt_tos for envelope in mail_server.envelopes] == [[customer.email]] * 2
    async with tenant_session(database, tenant) as db:
        with pytest.raises(InvalidActionToken):
            await action_tokens.consume(db, auth, tenant.id, Purpose.PASSWORD_RESET, tokens[0])
        assert await action_tokens.consume(db, auth, tenant.id, Purpose.PASSWORD_RESET, tokens[1]) == customer.id


async def test_an_unknown_customer_gets_no_reset_mail(
    database: Database, mail_server: MailServer, smtp_settings: Settings, tenant_a: TenantHandle
) -> None:
    tenant = await context_of(database, tenant_a)
    async with tenant_session(database, tenant) as db:
        sent = await mail_service.send_password_reset(
            db,
            tenant,
            create_mail_sender(smtp_settings),
            smtp_settings,
            AuthRuntime.build(smtp_settings),
            customer_id=uuid.uuid4(),
        )
    assert sent is None
    assert mail_server.envelopes == []


async def test_a_failed_send_leaves_no_token_and_keeps_the_previous_link(
    database: Database, settings: Settings, tenant_a: TenantHandle, invite: Invite, invitation_token: InvitationToken
) -> None:
    class Unreachable:
        async def send(self, mail: object) -> None:
            raise ConnectionError("smtp down")

    invited = await invite(tenant_a)
    earlier = await invitation_token(tenant_a, str(invited["id"]))
    tenant = await context_of(database, tenant_a)
    auth = AuthRuntime.build(settings)

    async def run_task() -> None:  # as the task's unit of work does: commit only if sending succeeded
        async with tenant_session(database, tenant) as db:
            await mail_service.send_staff_invitation(
                db, tenant, Unreachable(), settings, auth, staff_id=uuid.UUID(str(invited["id"]))
            )
            await db.commit()

    with pytest.raises(ConnectionError):
        await run_task()

    async with tenant_session(database, tenant) as db:
        assert await action_tokens.consume(db, auth, tenant.id, Purpose.STAFF_INVITATION, earlier) == uuid.UUID(
            str(invited["id"])
        )
