"""The payment gateway against the local Stripe fake, through the real SDK: direct charges on the connected
account, amounts exactly in minor units (JPY, KWD), our application fee, refunds, errors and idempotency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select

from billing import service as billing_service
from billing.errors import ConnectedAccountCannotCharge, StripeRequestFailed, StripeUnavailable
from billing.fees import application_fee
from billing.gateway import StripeGateway
from billing.models import StripeEvent
from core.clock import utcnow
from core.db import Database
from core.settings import Settings
from tests.fakes.stripe_server import EventEmitter, FakeStripe
from tests.fixtures.billing import BillingTenant


@pytest_asyncio.fixture(loop_scope="session")
async def gateway(billing_settings: Settings) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(billing_settings.stripe)
    yield gateway
    await gateway.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def account(gateway: StripeGateway, stripe_fake: FakeStripe) -> str:
    """A connected account that finished onboarding."""
    created = await gateway.create_account(idempotency_key=f"acct-{uuid.uuid4()}", metadata={"test": "payments"})
    stripe_fake.complete_onboarding(created.id)
    return created.id


def key() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.mark.parametrize(("currency", "amount"), [("JPY", 1500), ("KWD", 12345), ("EUR", 1999)])
async def test_amounts_reach_stripe_exactly_as_minor_units_with_the_plans_fee(
    gateway: StripeGateway,
    account: str,
    stripe_fake: FakeStripe,
    billing_settings: Settings,
    currency: str,
    amount: int,
) -> None:
    fee = application_fee(billing_settings.stripe, "standard", amount, currency)
    idempotency_key = key()
    intent = await gateway.create_payment_intent(
        account,
        amount=amount,
        currency=currency,
        application_fee_amount=fee,
        metadata={"cart_id": "c1", "tenant_id": "t1"},
        idempotency_key=idempotency_key,
    )
    [sent] = [r for r in stripe_fake.requests_to("POST", "/v1/payment_intents") if r.idempotency_key == idempotency_key]
    assert sent.stripe_account == account  # a direct charge on the merchant's account
    assert sent.params["amount"] == str(amount)  # 1500 yen is 1500, 12.345 dinar is 12345: never scaled
    assert sent.params["currency"] == currency.lower()
    assert sent.params["application_fee_amount"] == str(fee)
    assert sent.params["automatic_payment_methods"] == {"enabled": "true"}
    assert sent.params["metadata"] == {"cart_id": "c1", "tenant_id": "t1"}
    assert intent.status == "requires_payment_method"
    assert (intent.amount, intent.currency, intent.application_fee_amount) == (amount, currency, fee)
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    paid = stripe_fake.pay(intent.id)
    fetched = await gateway.retrieve_payment_intent(account, intent.id)
    assert fetched.status == "succeeded"
    assert fetched.amount_received == amount
    assert fetched.latest_charge == paid["latest_charge"]
    charge_fee = stripe_fake.application_fee_of(paid["latest_charge"])
    assert charge_fee is not None
    assert (charge_fee["amount"], charge_fee["currency"]) == (fee, currency.lower())


async def test_the_fee_follows_the_plan(
    gateway: StripeGateway, account: str, stripe_fake: FakeStripe, billing_settings: Settings
) -> None:
    # standard: 2 % with a 50 yen minimum; pro: 1 % with 30 yen.
    expected = {("standard", 10_000): 200, ("pro", 10_000): 100, ("standard", 1000): 50, ("pro", 1000): 30}
    for (plan, amount), fee in expected.items():
        assert application_fee(billing_settings.stripe, plan, amount, "JPY") == fee
        idempotency_key = key()
        intent = await gateway.create_payment_intent(
            account,
            amount=amount,
            currency="JPY",
            application_fee_amount=application_fee(billing_settings.stripe, plan, amount, "JPY"),
            metadata={},
            idempotency_key=idempotency_key,
        )
        assert intent.application_fee_amount == fee
        [sent] = [
            r for r in stripe_fake.requests_to("POST", "/v1/payment_intents") if r.idempotency_key == idempotency_key
        ]
        assert sent.params["application_fee_amount"] == str(fee)


async def test_a_stripe_500_is_unavailable_and_the_retry_with_the_same_key_creates_one_intent(
    gateway: StripeGateway, account: str, stripe_fake: FakeStripe
) -> None:
    idempotency_key = key()

    async def create() -> str:
        intent = await gateway.create_payment_intent(
            account, amount=500, currency="EUR", application_fee_amount=30, metadata={}, idempotency_key=idempotency_key
        )
        return intent.id

    stripe_fake.fail_next("/v1/payment_intents")
    with pytest.raises(StripeUnavailable):
        await create()
    first, again = await create(), await create()  # our retry, then a double click: the same key
    assert first == again
    assert stripe_fake.intents_created(idempotency_key) == 1
    assert [
        r.replayed
        for r in stripe_fake.requests_to("POST", "/v1/payment_intents")
        if r.idempotency_key == idempotency_key
    ] == [False, False, True]


async def test_the_same_key_with_other_parameters_is_refused(gateway: StripeGateway, account: str) -> None:
    idempotency_key = key()
    await gateway.create_payment_intent(
        account, amount=500, currency="EUR", application_fee_amount=30, metadata={}, idempotency_key=idempotency_key
    )
    with pytest.raises(StripeRequestFailed) as refused:
        await gateway.create_payment_intent(
            account, amount=600, currency="EUR", application_fee_amount=30, metadata={}, idempotency_key=idempotency_key
        )
    assert refused.value.status == 502


async def test_another_accounts_intent_is_not_found(gateway: StripeGateway, account: str) -> None:
    other = await gateway.create_account(idempotency_key=key(), metadata={})
    intent = await gateway.create_payment_intent(
        account, amount=500, currency="EUR", application_fee_amount=30, metadata={}, idempotency_key=key()
    )
    with pytest.raises(StripeRequestFailed) as missing:
        await gateway.retrieve_payment_intent(other.id, intent.id)
    assert missing.value.extra["stripe_code"] == "resource_missing"


async def test_cancel_and_declines(gateway: StripeGateway, account: str, stripe_fake: FakeStripe) -> None:
    intent = await gateway.create_payment_intent(
        account, amount=700, currency="USD", application_fee_amount=30, metadata={}, idempotency_key=key()
    )
    stripe_fake.pay(intent.id, "card_declined")
    declined = await gateway.retrieve_payment_intent(account, intent.id)
    assert (declined.status, declined.last_payment_error) == ("requires_payment_method", "card_declined")
    cancel_key = key()
    canceled = await gateway.cancel_payment_intent(account, intent.id, idempotency_key=cancel_key)
    assert canceled.status == "canceled"
    again = await gateway.cancel_payment_intent(account, intent.id, idempotency_key=cancel_key)  # a replay
    assert again == canceled
    with pytest.raises(StripeRequestFailed) as refused:  # a new request on a canceled intent
        await gateway.cancel_payment_intent(account, intent.id, idempotency_key=key())
    assert refused.value.extra["stripe_code"] == "payment_intent_unexpected_state"


async def test_update_changes_an_unpaid_intent(gateway: StripeGateway, account: str) -> None:
    intent = await gateway.create_payment_intent(
        account, amount=700, currency="USD", application_fee_amount=30, metadata={"v": "1"}, idempotency_key=key()
    )
    updated = await gateway.update_payment_intent(
        account, intent.id, amount=900, application_fee_amount=30, metadata={"v": "2"}, idempotency_key=key()
    )
    assert (updated.amount, updated.metadata, updated.client_secret) == (900, {"v": "2"}, intent.client_secret)


async def test_refunds_never_exceed_the_charge_and_give_back_the_fee_share(
    gateway: StripeGateway, account: str, stripe_fake: FakeStripe
) -> None:
    intent = await gateway.create_payment_intent(
        account, amount=12345, currency="KWD", application_fee_amount=247, metadata={}, idempotency_key=key()
    )
    paid = stripe_fake.pay(intent.id)
    refund_key = key()
    first = await gateway.create_refund(
        account,
        payment_intent=intent.id,
        amount=10000,
        refund_application_fee=True,
        reason="requested_by_customer",
        metadata={"refund_id": "r1"},
        idempotency_key=refund_key,
    )
    assert (first.status, first.amount, first.currency, first.payment_intent) == ("succeeded", 10000, "KWD", intent.id)
    assert (first.charge, first.reason, first.metadata) == (
        paid["latest_charge"],
        "requested_by_customer",
        {"refund_id": "r1"},
    )
    [sent] = [r for r in stripe_fake.requests_to("POST", "/v1/refunds") if r.idempotency_key == refund_key]
    assert (sent.stripe_account, sent.params["amount"], sent.params["refund_application_fee"]) == (
        account,
        "10000",
        "true",
    )
    # the retry of that request: replayed, not refunded twice
    replay = await gateway.create_refund(
        account,
        payment_intent=intent.id,
        amount=10000,
        refund_application_fee=True,
        reason="requested_by_customer",
        metadata={"refund_id": "r1"},
        idempotency_key=refund_key,
    )
    assert replay == first
    assert stripe_fake.refunds_created(refund_key) == 1
    fee = stripe_fake.application_fee_of(paid["latest_charge"])
    assert fee is not None
    assert fee["amount_refunded"] == 200

    with pytest.raises(StripeRequestFailed) as too_much:
        await gateway.create_refund(
            account,
            payment_intent=intent.id,
            amount=2346,
            refund_application_fee=True,
            reason=None,
            metadata={},
            idempotency_key=key(),
        )
    assert too_much.value.extra["stripe_code"] == "amount_too_large"
    rest = await gateway.create_refund(
        account,
        payment_intent=intent.id,
        amount=2345,
        refund_application_fee=True,
        reason=None,
        metadata={},
        idempotency_key=key(),
    )
    assert await gateway.retrieve_refund(account, rest.id) == rest
    fee = stripe_fake.application_fee_of(paid["latest_charge"])
    assert fee is not None
    assert (fee["amount_refunded"], fee["refunded"]) == (247, True)
    assert stripe_fake.charge(paid["latest_charge"])["refunded"] is True
    with pytest.raises(StripeRequestFailed) as again:
        await gateway.create_refund(
            account,
            payment_intent=intent.id,
            amount=1,
            refund_application_fee=True,
            reason=None,
            metadata={},
            idempotency_key=key(),
        )
    assert again.value.extra["stripe_code"] == "charge_already_refunded"


async def test_a_refund_keeps_the_fee_when_the_policy_says_so(
    gateway: StripeGateway, account: str, stripe_fake: FakeStripe
) -> None:
    intent = await gateway.create_payment_intent(
        account, amount=1500, currency="JPY", application_fee_amount=50, metadata={}, idempotency_key=key()
    )
    paid = stripe_fake.pay(intent.id)
    await gateway.create_refund(
        account,
        payment_intent=intent.id,
        amount=1500,
        refund_application_fee=False,
        reason=None,
        metadata={},
        idempotency_key=key(),
    )
    fee = stripe_fake.application_fee_of(paid["latest_charge"])
    assert fee is not None
    assert fee["amount_refunded"] == 0


async def test_an_unpaid_intent_cannot_be_refunded(gateway: StripeGateway, account: str) -> None:
    intent = await gateway.create_payment_intent(
        account, amount=1500, currency="JPY", application_fee_amount=50, metadata={}, idempotency_key=key()
    )
    with pytest.raises(StripeRequestFailed):
        await gateway.create_refund(
            account,
            payment_intent=intent.id,
            amount=100,
            refund_application_fee=True,
            reason=None,
            metadata={},
            idempotency_key=key(),
        )


async def test_only_an_onboarded_connected_account_can_charge(
    billing_tenant: BillingTenant, stripe_fake: FakeStripe, billing_settings: Settings, database: Database
) -> None:
    tenant_id = uuid.UUID(billing_tenant.handle.id)
    async with database.public_session() as db:
        with pytest.raises(ConnectedAccountCannotCharge) as onboarding:
            await billing_service.chargeable_account(db, tenant_id)
        assert (onboarding.value.status, onboarding.value.code) == (409, "account_cannot_charge")
        with pytest.raises(ConnectedAccountCannotCharge):
            await billing_service.chargeable_account(db, uuid.uuid4())  # no account at all
        assert await billing_service.tenant_plan(db, tenant_id) == "standard"

    stripe_fake.complete_onboarding(billing_tenant.account_id)
    gateway = StripeGateway(billing_settings.stripe)
    async with database.public_session() as db:
        await billing_service.sync_account(db, gateway, tenant_id)
        account = await billing_service.chargeable_account(db, tenant_id)
        assert account.account_id == billing_tenant.account_id
        account.deauthorized_at = utcnow()
        with pytest.raises(ConnectedAccountCannotCharge):
            await billing_service.chargeable_account(db, tenant_id)
        await db.rollback()
    await gateway.aclose()


async def test_the_fakes_events_reach_the_webhook_inbox_once_whatever_the_order(
    chargeable_tenant: BillingTenant,
    stripe_webhooks: EventEmitter,
    gateway: StripeGateway,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    """Duplicated and reversed deliveries, signed with the suite's Connect secret, each stored once for the tenant."""
    stripe_webhooks.configure(hold=True, duplicate=True)
    account = chargeable_tenant.account_id
    intent = await gateway.create_payment_intent(
        account, amount=1500, currency="JPY", application_fee_amount=50, metadata={}, idempotency_key=key()
    )
    stripe_fake.pay(intent.id)
    held = [event["id"] for event in stripe_webhooks.held() if event.get("account") == account]
    assert [stripe_webhooks.events[i]["type"] for i in held] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    deliveries = await asyncio.to_thread(stripe_webhooks.deliver, held, reversed=True)
    assert [d.status for d in deliveries] == [200] * 6
    async with database.public_session() as db:
        stored = list(await db.scalars(select(StripeEvent).where(StripeEvent.id.in_(held))))
    assert sorted(e.id for e in stored) == sorted(held)
    assert {(e.account, str(e.tenant_id)) for e in stored} == {(account, chargeable_tenant.handle.id)}
    stripe_webhooks.release()  # the platform's application_fee.created, to the platform endpoint
