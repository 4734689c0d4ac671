from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.schemas import ResourceRead
from core.validation import Text


def _origin(value: str) -> str:
    """A web origin: scheme and host (and port), nothing else: ``https://shop.example.com``."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or f"{parts.scheme}://{parts.netloc}" != value:
        raise ValueError("must be an origin such as https://shop.example.com (no path, no trailing slash)")
    return value


Origin = Annotated[Text, Field(max_length=255), AfterValidator(_origin)]


class PublishableKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    allowed_origins: list[Origin] = Field(
        default_factory=list,
        max_length=20,
        description="Web origins whose pages may call the storefront API from a browser (CORS).",
    )


class PublishableKeyRead(ResourceRead):
    object: str = "publishable_key"
    name: str
    last_four: str = Field(description="The key's last four characters, to tell keys apart.")
    scopes: list[str] = Field(description="Always `storefront:catalog`: public catalog reads.")
    allowed_origins: list[str]
    created_at: datetime


class PublishableKeyCreated(PublishableKeyRead):
    key: str = Field(description="The key (`pk_...`), safe to embed in a web page. Shown once: only a hash is kept.")


class PublishableKeyList(BaseModel):
    object: str = "list"
    data: list[PublishableKeyRead]
    has_more: bool = False
