"""How `commerce serve` and `commerce dev` run uvicorn: request head limits enforced by the server itself.

uvicorn's default parser (httptools) accepts request heads of any size (a 16 MB header and 100,000 headers
were seen accepted). ``LimitedHttpToolsProtocol`` refuses a head (request line and headers) larger than
``max_header_bytes`` or with more than ``max_headers`` headers with 431 and closes the connection, before the
app sees anything; with h11 (when httptools is missing) ``h11_max_incomplete_event_size`` bounds the head.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

from core.errors import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE
from core.settings import HttpSettings

_TITLE = "Request Header Fields Too Large"


def _head_too_large_response(limit: int, count: int) -> bytes:
    body = json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + "headers_too_large",
            "title": "The request's headers are too large.",
            "status": 431,
            "code": "headers_too_large",
            "detail": f"At most {count} headers and {limit} bytes of request line and headers.",
        }
    ).encode()
    return b"".join(
        [
            f"HTTP/1.1 431 {_TITLE}\r\n".encode(),
            f"content-type: {PROBLEM_CONTENT_TYPE}\r\n".encode(),
            f"content-length: {len(body)}\r\n".encode(),
            b"x-content-type-options: nosniff\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


def limited_httptools_protocol(max_header_bytes: int, max_headers: int) -> type[Any]:
    """uvicorn's httptools protocol with head limits (a class, as ``uvicorn.run(http=...)`` takes one)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    refusal = _head_too_large_response(max_header_bytes, max_headers)

    class _HeadTooLarge(Exception):
        """Raised from a parser callback: httptools stops parsing, uvicorn calls ``send_400_response``."""

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._raw_head_bytes = 0  # bytes received since the head began: bounds what the parser buffers
            self._head_bytes = 0  # request line and headers as parsed: exact
            self._header_count = 0
            self._too_large = False

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._raw_head_bytes += len(data)
            super().data_received(data)
            # Still inside one head after this chunk: a header value is being buffered; stop it at the limit.
            if self._in_head and self._raw_head_bytes > max_header_bytes and not self.transport.is_closing():
                self._refuse()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._raw_head_bytes, self._head_bytes, self._header_count = True, 0, 0, 0

        def on_url(self, url: bytes) -> None:
            self._count(len(url), headers=0)
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4, headers=1)  # ": " and CRLF
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def _count(self, size: int, *, headers: int) -> None:
            self._head_bytes += size
            self._header_count += headers
            if self._head_bytes > max_header_bytes or self._header_count > max_headers:
                self._too_large = True
                raise _HeadTooLarge

        def send_400_response(self, msg: str) -> None:
            if self._too_large:
                self._refuse()
            else:
                super().send_400_response(msg)

        def _refuse(self) -> None:
            self.logger.warning("Request head too large: refused with 431.")
            self.transport.write(refusal)
            self.transport.close()

    return LimitedHttpToolsProtocol


def uvicorn_options(settings: HttpSettings) -> dict[str, Any]:
    """What `commerce serve` and `commerce dev` pass to ``uvicorn.run`` besides the app, host and port."""
    options: dict[str, Any] = {"proxy_headers": True, "log_config": None}
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = limited_httptools_protocol(settings.max_header_bytes, settings.max_headers)
    else:
        options["http"] = "h11"
        options["h11_max_incomplete_event_size"] = settings.max_header_bytes
    return options
