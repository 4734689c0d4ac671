from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from auth import scopes
from auth.oauth.models import ClientKind
from core.schemas import ResourceRead
from core.validation import Text

_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}
# A DNS name (labels of letters, digits and hyphens) or an IPv4 address; what browsers would also resolve.
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


def check_redirect_uri(uri: str) -> str:
    """RFC 8252 / OAuth 2.1: https, loopback http, or a private-use scheme (``com.example.app:/cb``).

    Compared exactly at authorization, so anything that could make two parsers disagree is refused
    here: wildcards, credentials (``user@``), fragments, whitespace and control characters, a bad port.
    """
    if any(char.isspace() or not char.isprintable() for char in uri) or "\\" in uri:
        raise ValueError(f"redirect URIs may not contain whitespace, control characters or backslashes: {uri!r}")
    if "*" in uri:
        raise ValueError(f"redirect URIs are exact: no wildcards: {uri}")
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise ValueError(f"redirect URIs may not have a fragment: {uri}")
    if "@" in parts.netloc:
        raise ValueError(f"redirect URIs may not carry credentials (user@host): {uri}")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError(f"redirect URI has an invalid port: {uri}") from None
    if parts.scheme == "https" and parts.hostname and _HOST.fullmatch(parts.hostname):
        return uri
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return uri
    if parts.scheme and "." in parts.scheme and parts.scheme not in {"http", "https"} and not parts.netloc:
        return uri
    raise ValueError(f"redirect URIs must be absolute https, loopback http or a private-use scheme: {uri}")


def _check_scopes(value: list[str]) -> list[str]:
    unknown = scopes.unknown(value, scopes.STOREFRONT_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    return sorted(set(value))


class OAuthClientCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    kind: ClientKind = Field(description="`public` (SPA, mobile; PKCE) or `confidential` (server-side; a secret).")
    redirect_uris: list[Text] = Field(min_length=1, max_length=20, description="Exact URIs; no wildcards.")
    scopes: list[Text] = Field(min_length=1, description="Storefront scopes the client may request.")
    first_party: bool = Field(default=False, description="The merchant's own storefront: shoppers see no consent page.")

    @field_validator("redirect_uris")
    @classmethod
    def _redirects(cls, value: list[str]) -> list[str]:
        return [check_redirect_uri(uri) for uri in value]

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        return _check_scopes(value)


class OAuthClientUpdate(BaseModel):
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    redirect_uris: list[Text] | None = Field(default=None, min_length=1, max_length=20)
    scopes: list[Text] | None = Field(default=None, min_length=1)
    first_party: bool | None = None

    @field_validator("redirect_uris")
    @classmethod
    def _redirects(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [check_redirect_uri(uri) for uri in value]

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_scopes(value)


class OAuthClientRead(ResourceRead):
    object: str = "oauth_client"
    client_id: str
    name: str
    kind: ClientKind
    redirect_uris: list[str]
    scopes: list[str]
    first_party: bool
    created_at: datetime


class OAuthClientCreated(OAuthClientRead):
    client_secret: str | None = Field(description="Confidential clients only. Shown once: only a keyed hash is stored.")


class OAuthClientList(BaseModel):
    object: str = "list"
    data: list[OAuthClientRead]
    has_more: bool = False
