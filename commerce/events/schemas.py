from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.schemas import ResourceRead


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to record: what changed (``type``), which resource, at which version, and its snapshot."""

    type: str
    resource_id: uuid.UUID
    version: int | None
    data: dict[str, Any] = field(default_factory=dict)


class EventActor(BaseModel):
    kind: str = Field(description="`staff`, `api_key`, `customer` or `client`.")
    id: uuid.UUID


class EventRead(ResourceRead):
    object: str = "event"
    sequence: int = Field(description="Increases by one per event of the shop, in commit order.")
    type: str = Field(examples=["product.updated"])
    resource_id: uuid.UUID
    resource_version: int | None = Field(description="The resource's `version` after the change (None once deleted).")
    data: dict[str, Any] = Field(description="The resource as the admin API shows it, after the change.")
    actor: EventActor | None = Field(description="Who made the change (None for the system).")
    created_at: datetime


class EventList(BaseModel):
    object: str = "list"
    data: list[EventRead]
    has_more: bool
