"""Stripe's wire format, both ways: its form encoding, its error bodies, its webhook signature."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")

Answer = tuple[int, dict[str, Any]]


def parse_form(body: str) -> dict[str, Any]:
    """Decode Stripe's form encoding: ``a[b][c]=1&l[0]=x&l[1]=y`` -> ``{"a": {"b": {"c": "1"}}, "l": ["x", "y"]}``.

    Numeric keys become lists (Stripe's SDK always indexes arrays); values stay strings, as on the wire.
    """
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        match = _KEY.match(raw_key)
        if match is None:
            raise ValueError(f"malformed key {raw_key!r}")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: dict[str, Any] = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"key {raw_key!r} conflicts with a scalar")
        node[path[-1]] = value
    parsed: dict[str, Any] = _lists(root)
    return parsed


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def error(status: int, type_: str, message: str, code: str | None = None, param: str | None = None) -> Answer:
    """A Stripe-shaped error answer: ``{"error": {"type", "message", "code"?, "param"?}}``."""
    body: dict[str, Any] = {"type": type_, "message": message}
    if code:
        body["code"] = code
    if param:
        body["param"] = param
    return status, {"error": body}


def invalid(message: str, code: str | None = None, param: str | None = None, *, status: int = 400) -> Answer:
    return error(status, "invalid_request_error", message, code, param)


def missing(kind: str, object_id: str, param: str = "id") -> Answer:
    return invalid(f"No such {kind}: '{object_id}'", "resource_missing", param, status=404)


def stripe_signature_header(payload: bytes, signing_secrets: Sequence[str], *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` (one ``v1`` per secret), as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = str(t).encode() + b"." + payload
    parts = [f"t={t}"] + [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in signing_secrets]
    return ",".join(parts)
