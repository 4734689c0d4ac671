from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from auth import scopes
from core.clock import utcnow
from core.schemas import ResourceRead
from core.validation import Text


class ApiKeyCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    scopes: list[Text] = Field(min_length=1, description="Admin scopes the key holds; `x:write` implies `x:read`.")
    expires_at: datetime | None = Field(default=None, description="Optional; the key stops working then.")

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value <= utcnow()):
            raise ValueError("expires_at must be a future time with a time zone (RFC 3339)")
        return value

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = scopes.unknown(value, scopes.ADMIN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}")
        return sorted(set(value))


class ApiKeyRead(ResourceRead):
    object: str = "api_key"
    name: str
    last_four: str = Field(description="The key's last four characters, to tell keys apart.")
    scopes: list[str]
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself (`sk_...`). Shown once: only a keyed hash is stored.")


class ApiKeyList(BaseModel):
    object: str = "list"
    data: list[ApiKeyRead]
    has_more: bool = False
