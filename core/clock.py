from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware UTC now; every ``*_at`` column stores this."""
    return datetime.now(UTC)
