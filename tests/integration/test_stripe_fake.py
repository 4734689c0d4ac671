"""The local Stripe fake itself: Stripe's PaymentIntent status machine over its wire format, what Stripe.js
may do with a publishable key, charges, refunds, application fees on the platform, disputes, and event
delivery (signed as Stripe signs; immediate with retries, duplicated, held and released in any order)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from billing.signatures import verify_stripe_signature
from tests.fakes.stripe_server import FakeStripe, parse_form

SECRET_KEY = "sk_test_fake_" + "k" * 24  # pragma: allowlist secret
PUBLISHABLE_KEY = "pk_test_fake_" + "p" * 24  # pragma: allowlist secret
CONNECT_SECRET = "whsec_fake_connect"  # pragma: allowlist secret
PLATFORM_SECRET = "whsec_fake_platform"  # pragma: allowlist secret


@dataclass
class Receiver:
    """A webhook endpoint on loopback: checks each delivery's signature, records it, can fail on purpose."""

    secret: str
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def types(self) -> list[str]:
        with self.lock:
            return [event["type"] for event in self.received]


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    stripe = FakeStripe(SECRET_KEY, publishable_key=PUBLISHABLE_KEY)
    stripe.start()
    stripe.events.configure(retry_delay=0.01)
    yield stripe
    stripe.stop()


def _serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            verify_stripe_signature(body, self.headers["stripe-signature"], [receiver.secret], tolerance_seconds=300)
            with receiver.lock:
                failing = receiver.refused < receiver.fail_first
                if failing:
                    receiver.refused += 1
                else:
                    receiver.received.append(json.loads(body))
            self.send_response(500 if failing else 200)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    return server


@pytest.fixture
def connect() -> Iterator[Receiver]:
    receiver = Receiver(CONNECT_SECRET)
    server = _serve(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


def api(fake: FakeStripe, account: str | None = None, *, key: str = SECRET_KEY) -> httpx.Client:
    headers = {"authorization": f"Bearer {key}"}
    if account:
        headers["stripe-account"] = account
    return httpx.Client(base_url=fake.url, headers=headers, trust_env=False)


def onboarded(fake: FakeStripe) -> str:
    with api(fake) as client:
        account: str = client.post("/v1/accounts").json()["id"]
    fake.complete_onboarding(account)
    return account


def create_intent(client: httpx.Client, **params: str) -> dict[str, Any]:
    body = {"amount": "1500", "currency": "jpy", "automatic_payment_methods[enabled]": "true", **params}
    response = client.post("/v1/payment_intents", data=body, headers={"idempotency-key": str(uuid.uuid4())})
    assert response.status_code == 200, response.text
    intent: dict[str, Any] = response.json()
    return intent


def test_the_payment_intent_status_machine(fake: FakeStripe) -> None:
    account = onboarded(fake)
    with api(fake, account) as client:
        intent = create_intent(client, application_fee_amount="50", **{"metadata[cart_id]": "c1"})
        assert (intent["status"], intent["amount"], intent["currency"]) == ("requires_payment_method", 1500, "jpy")
        assert intent["automatic_payment_methods"]["enabled"] is True
        assert intent["client_secret"].startswith(intent["id"] + "_secret_")
        path = f"/v1/payment_intents/{intent['id']}"
        missing_method = client.post(f"{path}/confirm")
        assert missing_method.json()["error"]["code"] == "payment_intent_unexpected_state"
        updated = client.post(
            path, data={"amount": "2000", "payment_method": "pm_card_visa", "metadata[v]": "2"}
        ).json()
        assert (updated["status"], updated["amount"], updated["metadata"]) == (
            "requires_confirmation",
            2000,
            {"cart_id": "c1", "v": "2"},
        )
        declined = client.post(f"{path}/confirm", data={"payment_method": "pm_card_chargeDeclined"})
        assert declined.status_code == 402
        assert declined.json()["error"]["code"] == "card_declined"
        failed = client.get(path).json()
        assert failed["status"] == "requires_payment_method"
        assert failed["last_payment_error"]["decline_code"] == "generic_decline"
        three_ds = client.post(f"{path}/confirm", data={"payment_method": "pm_card_authenticationRequired"}).json()
        assert three_ds["status"] == "requires_action"
        paid = fake.pay(intent["id"], "succeeded")
        assert (paid["status"], paid["amount_received"]) == ("succeeded", 2000)
        charge = client.get(f"/v1/charges/{paid['latest_charge']}").json()
        assert (charge["amount"], charge["paid"], charge["application_fee_amount"]) == (2000, True, 50)
        too_late = client.post(path, data={"amount": "10"})
        assert too_late.json()["error"]["code"] == "payment_intent_unexpected_state"
        cannot_cancel = client.post(f"{path}/cancel")
        assert cannot_cancel.json()["error"]["code"] == "payment_intent_unexpected_state"

        other = create_intent(client)
        canceled = client.post(
            f"/v1/payment_intents/{other['id']}/cancel", data={"cancellation_reason": "abandoned"}
        ).json()
        assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")
        processing = create_intent(client)
        assert fake.pay(processing["id"], "processing")["status"] == "processing"
        assert fake.pay(processing["id"], "succeeded")["status"] == "succeeded"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"amount": "15.00"}, "parameter_invalid_integer"),
        ({"amount": "0"}, "parameter_invalid_integer"),
        ({"currency": "xyz"}, "parameter_invalid_string"),
        ({"application_fee_amount": "1501"}, "application_fee_too_large"),
        ({"payment_method": "pm_nothing"}, "resource_missing"),
    ],
)
def test_invalid_intents_are_refused_as_stripe_refuses_them(
    fake: FakeStripe, params: dict[str, str], code: str
) -> None:
    account = onboarded(fake)
    with api(fake, account) as client:
        body = {"amount": "1500", "currency": "jpy", **params}
        response = client.post("/v1/payment_intents", data=body)
    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] == code


def test_a_fee_needs_a_connected_account_and_intents_stay_on_theirs(fake: FakeStripe) -> None:
    with api(fake) as platform:
        refused = platform.post(
            "/v1/payment_intents", data={"amount": "100", "currency": "eur", "application_fee_amount": "1"}
        )
    assert refused.status_code == 400
    account, other = onboarded(fake), onboarded(fake)
    with api(fake, account) as client:
        intent = create_intent(client)
    with api(fake, other) as client:
        assert client.get(f"/v1/payment_intents/{intent['id']}").status_code == 404


def test_stripe_js_may_read_and_confirm_with_the_client_secret_only(fake: FakeStripe) -> None:
    account = onboarded(fake)
    with api(fake, account) as client:
        intent = create_intent(client)
    path = f"/v1/payment_intents/{intent['id']}"
    with api(fake, account, key=PUBLISHABLE_KEY) as browser:
        assert browser.get(path).status_code == 404  # no client secret
        assert browser.get(path, params={"client_secret": intent["client_secret"]}).json()["status"] == (
            "requires_payment_method"
        )
        assert browser.post("/v1/refunds", data={"payment_intent": intent["id"]}).status_code == 403
        assert browser.post(f"{path}/cancel").status_code == 403
        forged = intent["id"] + "_secret_" + "0" * 24
        wrong = browser.post(f"{path}/confirm", data={"client_secret": forged, "payment_method": "pm_card_visa"})
        assert wrong.status_code == 404
        paid = browser.post(
            f"{path}/confirm", data={"client_secret": intent["client_secret"], "payment_method": "pm_card_visa"}
        )
    assert paid.json()["status"] == "succeeded"


def test_idempotency_replays_and_refuses_other_parameters(fake: FakeStripe) -> None:
    account = onboarded(fake)
    with api(fake, account) as client:
        body = {"amount": "12345", "currency": "kwd"}
        first = client.post("/v1/payment_intents", data=body, headers={"idempotency-key": "k1"})
        again = client.post("/v1/payment_intents", data=body, headers={"idempotency-key": "k1"})
        other = client.post("/v1/payment_intents", data={**body, "amount": "1"}, headers={"idempotency-key": "k1"})
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"
    assert fake.intents_created("k1") == 1
    assert fake.created_per_key("payment_intent") == {"k1": 1}
    [sent, *_] = fake.requests_to("POST", "/v1/payment_intents")
    assert parse_form("amount=12345&currency=kwd") == sent.params


def test_refunds_application_fees_and_disputes(fake: FakeStripe) -> None:
    account = onboarded(fake)
    with api(fake, account) as client:
        intent = create_intent(client, amount="1000", currency="eur", application_fee_amount="30")
        paid = fake.pay(intent["id"])
        fake.next_refunds("pending")
        pending = client.post(
            "/v1/refunds",
            data={
                "charge": paid["latest_charge"],
                "amount": "400",
                "reason": "requested_by_customer",
                "refund_application_fee": "true",
            },
        ).json()
        assert (pending["status"], pending["payment_intent"]) == ("pending", intent["id"])
        over = client.post("/v1/refunds", data={"payment_intent": intent["id"], "amount": "601"})
        assert over.json()["error"]["code"] == "amount_too_large"
        fake.settle_refund(pending["id"], "failed")
        assert client.get(f"/v1/refunds/{pending['id']}").json()["failure_reason"] == "declined"
        rest = client.post("/v1/refunds", data={"payment_intent": intent["id"]}).json()  # the whole charge again
        assert rest["amount"] == 1000
        assert client.get(f"/v1/charges/{paid['latest_charge']}").json()["refunded"] is True
        assert client.get("/v1/application_fees").json()["data"] == []  # not on the connected account
        dispute = fake.dispute(intent["id"])
        assert client.get(f"/v1/disputes/{dispute['id']}").json()["status"] == "needs_response"
    with api(fake) as platform:
        [fee] = platform.get("/v1/application_fees", params={"charge": paid["latest_charge"]}).json()["data"]
        assert (fee["amount"], fee["account"], fee["amount_refunded"]) == (30, account, 12)  # 30 * 400 / 1000
        assert platform.get(f"/v1/application_fees/{fee['id']}").json()["id"] == fee["id"]
    types = [e["type"] for e in fake.events.events.values() if e.get("account") == account]
    assert (
        types[-8:]
        == [
            "refund.created",
            "charge.refunded",
            "refund.updated",
            "refund.failed",
            "refund.created",
            "charge.refunded",
            "charge.dispute.created",
        ][-8:]
        or types
    )  # the tail, in the order it happened
    assert [e["type"] for e in fake.events.events.values() if "account" not in e] == [
        "application_fee.created",
        "application_fee.refunded",
    ]


def test_events_are_delivered_signed_with_the_account_retried_on_failure(fake: FakeStripe, connect: Receiver) -> None:
    connect.fail_first = 2  # Stripe retries a non-2xx answer
    fake.events.configure(connect_url=connect.url, connect_secret=CONNECT_SECRET)
    account = onboarded(fake)
    with api(fake, account) as client:
        intent = create_intent(client)
    fake.pay(intent["id"])
    assert fake.events.wait_idle()
    assert (
        connect.types()[-4:]
        == [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
        ][-4:]
        or connect.types()
    )
    succeeded = [e for e in connect.received if e["type"] == "payment_intent.succeeded"]
    assert len(succeeded) == 1
    assert succeeded[0]["account"] == account
    assert succeeded[0]["data"]["object"]["id"] == intent["id"]
    assert succeeded[0]["data"]["object"]["status"] == "succeeded"
    assert connect.refused == 2
    [first_event] = [e for e in fake.events.events.values() if e["type"] == "account.updated"]
    assert [d.status for d in fake.events.delivered(first_event["id"])] == [500, 500, 200]


def test_duplicated_and_held_events_are_delivered_as_the_test_says(fake: FakeStripe, connect: Receiver) -> None:
    fake.events.configure(connect_url=connect.url, connect_secret=CONNECT_SECRET, hold=True, duplicate=True)
    account = onboarded(fake)
    with api(fake, account) as client:
        intent = create_intent(client)
    fake.pay(intent["id"])
    held = [e["id"] for e in fake.events.held()]
    types = [fake.events.events[i]["type"] for i in held]
    assert types == ["account.updated", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    assert connect.received == []
    deliveries = fake.events.deliver(held[1:], reversed=True)
    assert [d.type for d in deliveries] == [
        "payment_intent.succeeded",
        "payment_intent.succeeded",
        "charge.succeeded",
        "charge.succeeded",
        "payment_intent.created",
        "payment_intent.created",
    ]
    assert connect.types() == [d.type for d in deliveries]
    [(body, headers)] = fake.events.take()  # the rest, for a test to post itself
    verify_stripe_signature(body, headers["Stripe-Signature"], [CONNECT_SECRET], tolerance_seconds=300)
    assert json.loads(body)["type"] == "account.updated"
    assert fake.events.held() == []
