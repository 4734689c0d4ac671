"""Identifiers: random UUIDs, never sequential integers that leak volumes or invite enumeration."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()
