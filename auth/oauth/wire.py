"""The plain HTTP request and response the server takes and gives, and authlib's request over them; the hop
between authlib's worker thread and the event loop."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2.rfc6749 import (
    OAuth2Request,
)
from authlib.oauth2.rfc6749.requests import OAuth2Payload

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request, as much of it as OAuth needs, whatever framework received it."""

    method: str
    url: str
    headers: Mapping[str, str]  # case-insensitive, as the framework's own
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: Any  # a JSON object, or "" for redirects
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name.lower() == "location"), None)


async def run_sync(call: Callable[[], T]) -> T:
    """Run authlib (synchronous) in a worker thread; its hooks reach the database back on the event loop."""
    return await anyio.to_thread.run_sync(call)


def on_loop(function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    return anyio.from_thread.run(function, *args)


class AuthlibPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class AuthlibRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(self, http: HttpRequest) -> None:
        # The transport was checked by the caller (settings decide whether plain HTTP is allowed in
        # development); authlib's own check would raise outside its error handling.
        parts = urlsplit(http.url)
        super().__init__(http.method, urlunsplit(("https", *parts[1:])), headers=http.headers)
        self._args = {name: value for name, value in reversed(http.query)}
        self._form = {name: value for name, value in reversed(http.form)}
        self.payload = AuthlibPayload([*http.query, *http.form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form
