"""A local Stripe: the subset of Stripe's API that billing/ calls, over real HTTP on 127.0.0.1.

The real SDK talks to it through ``base_addresses``. It speaks Stripe's wire format: form-encoded
bodies with nested ``a[b][0]`` keys, ``Authorization: Bearer sk_...``, ``Stripe-Account``,
``Idempotency-Key`` (the same key with the same parameters replays the first response with
``Idempotent-Replayed: true``; with other parameters it is Stripe's 400 ``idempotency_error``), and
Stripe-shaped errors ``{"error": {"type", "code", "message"}}``.

Test hooks: ``fail_next()`` answers the next matching request with a 500 that, like a failure before
Stripe executed the request, is not saved under its idempotency key (so a retry with the same key
proceeds); ``update_account()`` changes an account as onboarding would; ``deauthorize()`` makes it
unreadable as a disconnected account is; ``requests`` and ``accounts_created`` let tests count.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


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


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_account: str | None
    status: int
    replayed: bool = False


@dataclass
class _Failure:
    status: int
    path_prefix: str
    error: dict[str, Any]


@dataclass
class FakeStripeState:
    api_key: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    deauthorized: set[str] = field(default_factory=set)
    links: list[dict[str, Any]] = field(default_factory=list)
    # (api key, Stripe-Account, Idempotency-Key) -> (fingerprint, status, body)
    idempotency: dict[tuple[str, str | None, str], tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeStripe:
    def __init__(self, api_key: str) -> None:
        self.state = FakeStripeState(api_key=api_key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- test hooks ---------------------------------------------------------------------------------

    def fail_next(self, path_prefix: str = "/v1/", *, status: int = 500) -> None:
        """Answer the next request under ``path_prefix`` with a Stripe ``api_error`` (nothing executed or saved)."""
        error = {"type": "api_error", "message": "An unknown error occurred (injected by the test)."}
        with self.state.lock:
            self.state.failures.append(_Failure(status=status, path_prefix=path_prefix, error=error))

    def update_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        """Change an account as onboarding would (``details_submitted=True``, ``requirements={...}``...)."""
        with self.state.lock:
            account = self.state.accounts[account_id]
            for key, value in changes.items():
                account[key] = value
            copy: dict[str, Any] = json.loads(json.dumps(account))
            return copy

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        return self.update_account(
            account_id,
            details_submitted=True,
            charges_enabled=True,
            payouts_enabled=True,
            capabilities={"card_payments": "active", "transfers": "active"},
            requirements={"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None},
        )

    def deauthorize(self, account_id: str) -> None:
        with self.state.lock:
            self.state.deauthorized.add(account_id)

    def account_ids(self) -> list[str]:
        with self.state.lock:
            return list(self.state.accounts)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        with self.state.lock:
            return [r for r in self.state.requests if r.method == method and r.path == path]

    def accounts_with_metadata(self, key: str, value: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [a for a in self.state.accounts.values() if a.get("metadata", {}).get(key) == value]


def _error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return status, {"error": error}


def _new_account(params: dict[str, Any]) -> dict[str, Any]:
    account_id = "acct_" + secrets.token_hex(8)
    capabilities = {name: "inactive" for name in (params.get("capabilities") or {})}
    due = ["business_type", "external_account", "representative.first_name", "tos_acceptance.date"]
    return {
        "id": account_id,
        "object": "account",
        "created": int(time.time()),
        "controller": params.get("controller", {}),
        "metadata": params.get("metadata", {}),
        "email": params.get("email"),
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "capabilities": capabilities,
        "requirements": {
            "currently_due": due,
            "eventually_due": due,
            "past_due": [],
            "disabled_reason": "requirements.past_due",
        },
    }


def _handler(state: FakeStripeState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests assert on recorded requests instead

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else url.query
            key = self.headers.get("Idempotency-Key") if method == "POST" else None
            account_header = self.headers.get("Stripe-Account")
            try:
                params = parse_form(body)
            except ValueError as exc:
                self._send(*_error(400, "invalid_request_error", str(exc)))
                return
            record = RecordedRequest(method, url.path, params, key, account_header, status=0)
            with state.lock:
                state.requests.append(record)
                status, payload, replayed = self._dispatch(method, url.path, params, key, account_header)
            record.status, record.replayed = status, replayed
            self._send(status, payload, replayed=replayed)

        def _dispatch(
            self, method: str, path: str, params: dict[str, Any], key: str | None, account_header: str | None
        ) -> tuple[int, dict[str, Any], bool]:
            auth = self.headers.get("Authorization", "")
            if auth != f"Bearer {state.api_key}":
                supplied = auth.removeprefix("Bearer ")
                masked = supplied[:8] + "*" * 4 + supplied[-4:] if len(supplied) > 12 else "****"
                return (*_error(401, "invalid_request_error", f"Invalid API Key provided: {masked}"), False)
            for failure in state.failures:
                if path.startswith(failure.path_prefix):
                    state.failures.remove(failure)
                    return failure.status, {"error": failure.error}, False
            fingerprint = json.dumps([method, path, params], sort_keys=True)
            if key is not None:
                saved = state.idempotency.get((state.api_key, account_header, key))
                if saved is not None:
                    if saved[0] != fingerprint:
                        return (
                            *_error(
                                400,
                                "idempotency_error",
                                "Keys for idempotent requests can only be used with the same parameters they were "
                                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                                "different request.",
                            ),
                            False,
                        )
                    return saved[1], saved[2], True
            status, payload = self._route(method, path, params, account_header)
            if key is not None and status < 500:
                state.idempotency[(state.api_key, account_header, key)] = (fingerprint, status, payload)
            return status, payload, False

        def _route(
            self, method: str, path: str, params: dict[str, Any], account_header: str | None
        ) -> tuple[int, dict[str, Any]]:
            if account_header is not None and account_header not in state.accounts:
                return _error(
                    403, "invalid_request_error", "The provided key does not have access to account.", "account_invalid"
                )
            if method == "POST" and path == "/v1/accounts":
                account = _new_account(params)
                state.accounts[account["id"]] = account
                return 200, account
            match = re.fullmatch(r"/v1/accounts/(acct_[A-Za-z0-9]+)", path)
            if method == "GET" and match:
                account_id = match.group(1)
                if account_id in state.deauthorized:
                    return _error(
                        403,
                        "invalid_request_error",
                        "The provided key does not have access to account (or that account does not exist).",
                        "account_invalid",
                    )
                if account_id not in state.accounts:
                    return _error(
                        404, "invalid_request_error", f"No such account: '{account_id}'", "resource_missing", "id"
                    )
                return 200, state.accounts[account_id]
            if method == "POST" and path == "/v1/account_links":
                account_id = params.get("account", "")
                if account_id not in state.accounts:
                    return _error(
                        400, "invalid_request_error", f"No such account: '{account_id}'", "resource_missing", "account"
                    )
                for required in ("refresh_url", "return_url", "type"):
                    if not params.get(required):
                        return _error(
                            400,
                            "invalid_request_error",
                            f"Missing required param: {required}.",
                            "parameter_missing",
                            required,
                        )
                link = {
                    "object": "account_link",
                    "created": int(time.time()),
                    "expires_at": int(time.time()) + 300,
                    "url": f"https://connect.stripe.com/setup/s/{account_id}/{secrets.token_hex(6)}",
                }
                state.links.append({**link, "account": account_id, **params})
                return 200, link
            return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

        def _send(self, status: int, payload: dict[str, Any], *, replayed: bool = False) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(8))
            if replayed:
                self.send_header("Idempotent-Replayed", "true")
            if status >= 500:
                self.send_header("Stripe-Should-Retry", "true")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def stripe_signature_header(payload: bytes, signing_secrets: Sequence[str], *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` (one ``v1`` per secret), as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = str(t).encode() + b"." + payload
    parts = [f"t={t}"] + [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in signing_secrets]
    return ",".join(parts)
