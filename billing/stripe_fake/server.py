"""The fake's HTTP server and its test hooks.

It speaks Stripe's wire format: form-encoded bodies with nested ``a[b][0]`` keys, ``Authorization:
Bearer sk_...``, ``Stripe-Account``, ``Idempotency-Key`` (the same key with the same parameters replays
the first response with ``Idempotent-Replayed: true``; with other parameters it is Stripe's 400
``idempotency_error``), and Stripe-shaped errors ``{"error": {"type", "code", "message"}}``. The
publishable key (``pk_...``, what Stripe.js holds) may only read and confirm a PaymentIntent whose
``client_secret`` it presents.

Test hooks: ``fail_next()`` answers the next matching request with a 500 that, like a failure before
Stripe executed the request, is not saved under its idempotency key (so a retry with the same key
proceeds); ``update_account()``/``complete_onboarding()`` change an account as onboarding would;
``deauthorize()`` makes it unreadable as a disconnected account is; ``pay()`` plays Stripe.js;
``dispute()``; ``settle_refund()``; ``events`` configures and controls event delivery; ``requests``,
``intents_created()``, ``refunds_created()`` let tests count.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from billing.stripe_fake.events import EventEmitter
from billing.stripe_fake.payments import Payments
from billing.stripe_fake.state import Call, Created, Failure, FakeStripeState, RecordedRequest
from billing.stripe_fake.wire import Answer, error, invalid, missing, parse_form

ONBOARDED: dict[str, Any] = {
    "details_submitted": True,
    "charges_enabled": True,
    "payouts_enabled": True,
    "capabilities": {"card_payments": "active", "transfers": "active"},
    "requirements": {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None},
}


class FakeStripe:
    def __init__(
        self,
        api_key: str,
        *,
        publishable_key: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
        auto_onboard: bool = False,
    ) -> None:
        self.state = FakeStripeState(api_key=api_key, publishable_key=publishable_key, auto_onboard=auto_onboard)
        self.payments = Payments(self.state)
        self._server = ThreadingHTTPServer((host, port), _handler(self.state, self.payments))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def events(self) -> EventEmitter:
        return self.state.events

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.state.events.close()

    # --- test hooks: accounts -----------------------------------------------------------------------

    def fail_next(self, path_prefix: str = "/v1/", *, status: int = 500) -> None:
        """Answer the next request under ``path_prefix`` with a Stripe ``api_error`` (nothing executed or saved)."""
        body = {"type": "api_error", "message": "An unknown error occurred (injected by the test)."}
        with self.state.lock:
            self.state.failures.append(Failure(status=status, path_prefix=path_prefix, error=body))

    def update_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        """Change an account as onboarding would (``details_submitted=True``, ``requirements={...}``...);
        Stripe then sends ``account.updated``."""
        with self.state.lock:
            account = self.state.accounts[account_id]
            for key, value in changes.items():
                account[key] = value
            self.state.events.emit("account.updated", account, account=account_id)
            copy: dict[str, Any] = json.loads(json.dumps(account))
            return copy

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        return self.update_account(account_id, **json.loads(json.dumps(ONBOARDED)))

    def adopt_account(self, account_id: str, *, metadata: dict[str, str] | None = None) -> None:
        """Know an account created by an earlier run (the dev server's fake forgets on restart), onboarded."""
        with self.state.lock:
            if account_id not in self.state.accounts:
                account = _new_account({"metadata": metadata or {}}, account_id=account_id)
                account.update(json.loads(json.dumps(ONBOARDED)))
                self.state.accounts[account_id] = account

    def deauthorize(self, account_id: str) -> None:
        with self.state.lock:
            self.state.deauthorized.add(account_id)

    def account_ids(self) -> list[str]:
        with self.state.lock:
            return list(self.state.accounts)

    def accounts_with_metadata(self, key: str, value: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [a for a in self.state.accounts.values() if a.get("metadata", {}).get(key) == value]

    # --- test hooks: payments -----------------------------------------------------------------------

    def pay(self, intent_id: str, outcome: str = "succeeded") -> dict[str, Any]:
        """Play Stripe.js: the shopper pays the intent; ``outcome`` is ``succeeded``, ``card_declined``,
        ``insufficient_funds``, ``requires_action`` (3D Secure; pay again to pass it) or ``processing``
        (pay again to settle it). Returns the intent as it is then."""
        with self.state.lock:
            return self.payments.pay(intent_id, outcome)

    def dispute(self, target: str, *, reason: str = "fraudulent", amount: int | None = None) -> dict[str, Any]:
        with self.state.lock:
            return self.payments.dispute(target, reason=reason, amount=amount)

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        with self.state.lock:
            return self.payments.close_dispute(dispute_id, won=won)

    def next_refunds(self, *statuses: str) -> None:
        """The next refunds are created with these statuses (``pending``: settle them with ``settle_refund``)."""
        with self.state.lock:
            self.state.next_refund_statuses.extend(statuses)

    def settle_refund(self, refund_id: str, status: str, *, failure_reason: str = "declined") -> dict[str, Any]:
        with self.state.lock:
            return self.payments.settle_refund(refund_id, status, failure_reason=failure_reason)

    def payment_intent(self, intent_id: str) -> dict[str, Any]:
        with self.state.lock:
            copy: dict[str, Any] = json.loads(json.dumps(self.state.payment_intents[intent_id]))
            return copy

    def payment_intents(self, *, account: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                json.loads(json.dumps(pi))
                for pi in self.state.payment_intents.values()
                if account is None or self.state.owners.get(pi["id"]) == account
            ]

    def charge(self, charge_id: str) -> dict[str, Any]:
        with self.state.lock:
            copy: dict[str, Any] = json.loads(json.dumps(self.state.charges[charge_id]))
            return copy

    def application_fee_of(self, charge_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            for fee in self.state.application_fees.values():
                if fee["charge"] == charge_id:
                    copy: dict[str, Any] = json.loads(json.dumps(fee))
                    return copy
            return None

    # --- counters -----------------------------------------------------------------------------------

    def created(self, kind: str, *, idempotency_key: str | None = None, account: str | None = None) -> list[Created]:
        """Objects of ``kind`` created by requests (replays create nothing), optionally of one key or account."""
        with self.state.lock:
            return [
                c
                for c in self.state.created
                if c.object == kind
                and (idempotency_key is None or c.idempotency_key == idempotency_key)
                and (account is None or c.account == account)
            ]

    def intents_created(self, idempotency_key: str | None = None) -> int:
        return len(self.created("payment_intent", idempotency_key=idempotency_key))

    def refunds_created(self, idempotency_key: str | None = None) -> int:
        return len(self.created("refund", idempotency_key=idempotency_key))

    def created_per_key(self, kind: str) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        for c in self.created(kind):
            counts[c.idempotency_key] = counts.get(c.idempotency_key, 0) + 1
        return counts

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        with self.state.lock:
            return [r for r in self.state.requests if r.method == method and r.path == path]


def _new_account(params: dict[str, Any], *, account_id: str | None = None) -> dict[str, Any]:
    capabilities = {name: "inactive" for name in (params.get("capabilities") or {})}
    due = ["business_type", "external_account", "representative.first_name", "tos_acceptance.date"]
    return {
        "id": account_id or "acct_" + secrets.token_hex(8),
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


def _accounts(state: FakeStripeState) -> list[tuple[str, str, Callable[..., Answer]]]:
    def create(params: dict[str, Any], call: Call) -> Answer:
        account = _new_account(params)
        if state.auto_onboard:
            account.update(json.loads(json.dumps(ONBOARDED)))
        state.accounts[account["id"]] = account
        return 200, account

    def retrieve(account_id: str, params: dict[str, Any], call: Call) -> Answer:
        if account_id in state.deauthorized:
            return invalid(
                "The provided key does not have access to account (or that account does not exist).",
                "account_invalid",
                status=403,
            )
        if account_id not in state.accounts:
            return missing("account", account_id)
        return 200, state.accounts[account_id]

    def link(params: dict[str, Any], call: Call) -> Answer:
        account_id = params.get("account", "")
        if account_id not in state.accounts:
            return invalid(f"No such account: '{account_id}'", "resource_missing", "account")
        for required in ("refresh_url", "return_url", "type"):
            if not params.get(required):
                return invalid(f"Missing required param: {required}.", "parameter_missing", required)
        answer = {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"https://connect.stripe.com/setup/s/{account_id}/{secrets.token_hex(6)}",
        }
        state.links.append({**answer, "account": account_id, **params})
        return 200, answer

    def event(event_id: str, params: dict[str, Any], call: Call) -> Answer:
        found = state.events.events.get(event_id)
        if found is None or found.get("account") != call.account:
            return missing("event", event_id)
        return 200, found

    return [
        ("POST", r"/v1/accounts", create),
        ("GET", r"/v1/accounts/(acct_[A-Za-z0-9]+)", retrieve),
        ("POST", r"/v1/account_links", link),
        ("GET", r"/v1/events/(evt_\w+)", event),
    ]


# Publishable keys may call these only (Stripe.js reading and confirming the intent it was given).
_PUBLISHABLE = re.compile(r"/v1/payment_intents/pi_\w+(/confirm)?")


def _handler(state: FakeStripeState, payments: Payments) -> type[BaseHTTPRequestHandler]:
    routes = [
        (method, re.compile(pattern), handler) for method, pattern, handler in _accounts(state) + payments.routes()
    ]

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
                self._send(*error(400, "invalid_request_error", str(exc)))
                return
            record = RecordedRequest(method, url.path, params, key, account_header, status=0)
            request_id = "req_" + secrets.token_hex(8)
            with state.lock:
                state.requests.append(record)
                status, payload, replayed = self._dispatch(method, url.path, params, key, account_header, request_id)
                record.status, record.replayed = status, replayed
            self._send(status, payload, replayed=replayed, request_id=request_id)

        def _dispatch(
            self,
            method: str,
            path: str,
            params: dict[str, Any],
            key: str | None,
            account_header: str | None,
            request_id: str,
        ) -> tuple[int, dict[str, Any], bool]:
            supplied = self.headers.get("Authorization", "").removeprefix("Bearer ")
            publishable = bool(state.publishable_key) and supplied == state.publishable_key
            if supplied != state.api_key and not publishable:
                masked = supplied[:8] + "*" * 4 + supplied[-4:] if len(supplied) > 12 else "****"
                return (*error(401, "invalid_request_error", f"Invalid API Key provided: {masked}"), False)
            if publishable and not _PUBLISHABLE.fullmatch(path):
                return (*invalid("This API call cannot be made with a publishable API key.", status=403), False)
            for failure in state.failures:
                if path.startswith(failure.path_prefix):
                    state.failures.remove(failure)
                    return failure.status, {"error": failure.error}, False
            fingerprint = json.dumps([method, path, params], sort_keys=True)
            if key is not None:
                saved = state.idempotency.get((supplied, account_header, key))
                if saved is not None:
                    if saved[0] != fingerprint:
                        return (*error(400, "idempotency_error", _reused(key)), False)
                    return saved[1], saved[2], True
            call = Call(account=account_header, idempotency_key=key, request_id=request_id, publishable=publishable)
            status, live = self._route(method, path, params, call)
            payload: dict[str, Any] = json.loads(json.dumps(live))  # a snapshot: later changes do not leak into it
            if key is not None and status < 500:
                state.idempotency[(supplied, account_header, key)] = (fingerprint, status, payload)
            return status, payload, False

        def _route(self, method: str, path: str, params: dict[str, Any], call: Call) -> Answer:
            if call.account is not None and call.account not in state.accounts:
                return invalid("The provided key does not have access to account.", "account_invalid", status=403)
            for route_method, pattern, handler in routes:
                match = pattern.fullmatch(path)
                if match is None or route_method != method:
                    continue
                return handler(*match.groups(), params, call)
            return invalid(f"Unrecognized request URL ({method}: {path}).", status=404)

        def _send(self, status: int, payload: dict[str, Any], *, replayed: bool = False, request_id: str = "") -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", request_id or "req_" + secrets.token_hex(8))
            if replayed:
                self.send_header("Idempotent-Replayed", "true")
            if status >= 500:
                self.send_header("Stripe-Should-Retry", "true")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _reused(key: str) -> str:
    return (
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request."
    )
