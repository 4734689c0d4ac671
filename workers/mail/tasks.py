"""Mail task adapters: each parses its message and calls one service."""

from __future__ import annotations

import uuid

from workers.app import CommerceTask
from workers.mail import service as mail_service
from workers.mail.sender import create_mail_sender
from workers.registry import tenant_task


# Not idempotent: a second run sends a second mail, so the message is acknowledged before it runs.
@tenant_task("mail.send_welcome")
def send_welcome(task: CommerceTask, staff_id: str) -> None:
    tenant, settings = task.tenant, task.runtime.settings
    sender = create_mail_sender(settings)
    owner_id = uuid.UUID(staff_id)
    task.runtime.in_tenant(
        tenant, lambda db: mail_service.send_welcome(db, tenant, sender, settings, staff_id=owner_id)
    )
