"""PaymentIntents, charges, refunds, application fees and disputes, with Stripe's rules and events.

A PaymentIntent lives on the connected account named by ``Stripe-Account`` (a direct charge) and
follows Stripe's status machine::

    requires_payment_method --(payment method)--> requires_confirmation --(confirm)--> succeeded
                 ^                                                          |-> requires_action (3DS) -> ...
                 +------------- declined: last_payment_error ---------------+-> processing -> succeeded | ...
    any status but succeeded/canceled --(cancel)--> canceled

Confirming takes one of Stripe's test payment methods (``pm_card_visa`` succeeds,
``pm_card_chargeDeclined`` is declined, ``pm_card_authenticationRequired`` needs 3D Secure;
``pm_fake_processing`` stays ``processing`` until a test settles it). A succeeded intent has a charge
(``latest_charge``) and, with ``application_fee_amount``, an application fee on the PLATFORM. Refunds
never exceed the charge's unrefunded amount; ``refund_application_fee`` refunds the fee in proportion.
Amounts are integers in the currency's minor units, exactly as sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from billing.stripe_fake.state import Call, Created, FakeStripeState, new_id
from billing.stripe_fake.wire import Answer, error, invalid, missing
from core.money import CURRENCY_EXPONENTS, divide_half_even

MAX_AMOUNT = 99_999_999  # Stripe's eight digits
CHANGEABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (*CHANGEABLE, "requires_capture", "processing")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

# Stripe's test payment methods -> the outcome of confirming with them.
PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "succeeded",
    "pm_card_mastercard": "succeeded",
    "pm_card_amex": "succeeded",
    "pm_card_jp": "succeeded",
    "pm_card_chargeDeclined": "card_declined",
    "pm_card_visa_chargeDeclined": "card_declined",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_authenticationRequired": "requires_action",
    "pm_card_threeDSecure2Required": "requires_action",
    "pm_fake_processing": "processing",
}
OUTCOME_METHODS = {
    "succeeded": "pm_card_visa",
    "card_declined": "pm_card_chargeDeclined",
    "insufficient_funds": "pm_card_chargeDeclinedInsufficientFunds",
    "requires_action": "pm_card_authenticationRequired",
    "processing": "pm_fake_processing",
}
DECLINES = {
    "card_declined": ("generic_decline", "Your card was declined."),
    "insufficient_funds": ("insufficient_funds", "Your card has insufficient funds."),
}


class Payments:
    def __init__(self, state: FakeStripeState) -> None:
        self.state = state

    # --- helpers ----------------------------------------------------------------------------------------

    def _emit(
        self, call: Call | None, type_: str, obj: dict[str, Any], *, platform: bool = False, **extra: Any
    ) -> None:
        account = None if platform else self.state.owners.get(obj["id"])
        self.state.events.emit(
            type_,
            obj,
            account=account,
            request_id=call.request_id if call else None,
            idempotency_key=call.idempotency_key if call else None,
            **extra,
        )

    def _owned(self, objects: dict[str, dict[str, Any]], object_id: str, call: Call) -> dict[str, Any] | None:
        """The object if it exists on the caller's account (Stripe answers 404 for another account's object)."""
        obj = objects.get(object_id)
        if obj is None or self.state.owners.get(object_id) != call.account:
            return None
        return obj

    def _created(self, kind: str, obj: dict[str, Any], call: Call) -> None:
        if call.account is not None:
            self.state.owners[obj["id"]] = call.account
        self.state.created.append(Created(kind, obj["id"], call.idempotency_key, call.account))

    # --- payment intents --------------------------------------------------------------------------------

    def create_intent(self, params: dict[str, Any], call: Call) -> Answer:
        if call.account is None and "application_fee_amount" in params:
            return invalid(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
                "(using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).",
                param="application_fee_amount",
            )
        for required in ("amount", "currency"):
            if required not in params:
                return invalid(f"Missing required param: {required}.", "parameter_missing", required)
        intent: dict[str, Any] = {
            "id": new_id("pi"),
            "object": "payment_intent",
            "amount": 0,
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": None,
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": "",
            "customer": None,
            "description": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {},
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_types": ["card"],
            "status": "requires_payment_method",
            "transfer_data": None,
        }
        intent["client_secret"] = f"{intent['id']}_secret_{new_id('')[1:]}"
        apm = params.get("automatic_payment_methods") or {}
        if apm.get("enabled") == "true":
            intent["automatic_payment_methods"] = {
                "enabled": True,
                "allow_redirects": apm.get("allow_redirects", "always"),
            }
        refused = self._apply(intent, params)
        if refused is not None:
            return refused
        self.state.payment_intents[intent["id"]] = intent
        self._created("payment_intent", intent, call)
        self._emit(call, "payment_intent.created", intent)
        if params.get("confirm") == "true":
            return self._confirm(intent, params, call)
        return 200, intent

    def _apply(self, intent: dict[str, Any], params: dict[str, Any]) -> Answer | None:
        """Validate and apply the updatable parameters (create and update share them)."""
        amount = intent["amount"]
        if "amount" in params:
            parsed = _integer(params["amount"], "amount", minimum=1, maximum=MAX_AMOUNT)
            if isinstance(parsed, tuple):
                return parsed
            amount = parsed
        currency = intent["currency"]
        if "currency" in params:
            currency = str(params["currency"]).lower()
            if currency.upper() not in CURRENCY_EXPONENTS:
                return invalid(f"Invalid currency: {params['currency']}.", "parameter_invalid_string", "currency")
        fee = intent["application_fee_amount"]
        if "application_fee_amount" in params:
            parsed = _integer(params["application_fee_amount"], "application_fee_amount", minimum=0, maximum=MAX_AMOUNT)
            if isinstance(parsed, tuple):
                return parsed
            fee = parsed
        if fee is not None and fee > amount:
            return invalid(
                "The application fee cannot be greater than the amount of the PaymentIntent.",
                "application_fee_too_large",  # not Stripe's exact code; the message is its
                "application_fee_amount",
            )
        metadata = params.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            if metadata != "":
                return invalid("Invalid object", "parameter_invalid_object", "metadata")
            intent["metadata"] = {}
        elif metadata:
            merged = {**intent["metadata"], **metadata}
            intent["metadata"] = {k: v for k, v in merged.items() if v != ""}  # "" unsets a key, as in Stripe
        if "payment_method" in params:
            if params["payment_method"] not in PAYMENT_METHODS:
                return missing("PaymentMethod", params["payment_method"], "payment_method")
            intent["payment_method"] = params["payment_method"]
            intent["status"] = "requires_confirmation"
        if "description" in params:
            intent["description"] = params["description"] or None
        intent["amount"], intent["currency"], intent["application_fee_amount"] = amount, currency, fee
        return None

    def retrieve_intent(self, intent_id: str, params: dict[str, Any], call: Call) -> Answer:
        intent = self._for_caller(intent_id, params, call)
        if intent is None:
            return missing("payment_intent", intent_id)
        return 200, intent

    def _for_caller(self, intent_id: str, params: dict[str, Any], call: Call) -> dict[str, Any] | None:
        """The secret key sees its account's intents; the publishable key (Stripe.js) only one whose
        client_secret it presents (and on the account it names, when it names one)."""
        if not call.publishable:
            return self._owned(self.state.payment_intents, intent_id, call)
        intent = self.state.payment_intents.get(intent_id)
        if intent is None or params.get("client_secret") != intent["client_secret"]:
            return None
        if call.account is not None and self.state.owners.get(intent_id) != call.account:
            return None
        return intent

    def update_intent(self, intent_id: str, params: dict[str, Any], call: Call) -> Answer:
        intent = self._owned(self.state.payment_intents, intent_id, call)
        if intent is None:
            return missing("payment_intent", intent_id)
        if intent["status"] not in CHANGEABLE:
            return _unexpected_state(intent, "update")
        before = dict(intent)
        refused = self._apply(intent, params)
        if refused is not None:
            intent.clear()
            intent.update(before)
            return refused
        return 200, intent

    def confirm_intent(self, intent_id: str, params: dict[str, Any], call: Call) -> Answer:
        intent = self._for_caller(intent_id, params, call)
        if intent is None:
            return missing("payment_intent", intent_id)
        return self._confirm(intent, params, call)

    def _confirm(self, intent: dict[str, Any], params: dict[str, Any], call: Call | None) -> Answer:
        if intent["status"] not in CHANGEABLE:
            return _unexpected_state(intent, "confirm")
        method = params.get("payment_method") or intent["payment_method"]
        if not method:
            return invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
                "PaymentIntent with the customer's payment method, provide a `payment_method`.",
                "payment_intent_unexpected_state",
            )
        if method not in PAYMENT_METHODS:
            return missing("PaymentMethod", method, "payment_method")
        intent["payment_method"] = method
        return self._settle(intent, PAYMENT_METHODS[method], call)

    def _settle(self, intent: dict[str, Any], outcome: str, call: Call | None) -> Answer:
        intent["next_action"] = None
        if outcome == "succeeded":
            self._succeed(intent, call)
            return 200, intent
        if outcome == "requires_action":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
            self._emit(call, "payment_intent.requires_action", intent)
            return 200, intent
        if outcome == "processing":
            intent["status"] = "processing"
            self._emit(call, "payment_intent.processing", intent)
            return 200, intent
        decline_code, message = DECLINES[outcome]
        charge = self._charge(intent, failed=(decline_code, message))
        intent["status"] = "requires_payment_method"
        intent["latest_charge"] = charge["id"]
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": decline_code,
            "message": message,
            "charge": charge["id"],
            "payment_method": {"id": intent["payment_method"], "object": "payment_method", "type": "card"},
        }
        intent["payment_method"] = None
        self._emit(call, "charge.failed", charge)
        self._emit(call, "payment_intent.payment_failed", intent)
        status, body = error(402, "card_error", message, "card_declined")
        body["error"].update(decline_code=decline_code, charge=charge["id"], payment_intent=intent)
        return status, body

    def _charge(self, intent: dict[str, Any], *, failed: tuple[str, str] | None = None) -> dict[str, Any]:
        charge: dict[str, Any] = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0 if failed else intent["amount"],
            "amount_refunded": 0,
            "application_fee": None,
            "application_fee_amount": None if failed else intent["application_fee_amount"],
            "balance_transaction": None if failed else new_id("txn"),
            "captured": not failed,
            "created": int(time.time()),
            "currency": intent["currency"],
            "disputed": False,
            "failure_code": "card_declined" if failed else None,
            "failure_message": failed[1] if failed else None,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "outcome": {"type": "issuer_declined" if failed else "authorized", "reason": failed[0] if failed else None},
            "paid": not failed,
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "refunded": False,
            "status": "failed" if failed else "succeeded",
        }
        self.state.charges[charge["id"]] = charge
        self.state.owners[charge["id"]] = self.state.owners[intent["id"]]
        return charge

    def _succeed(self, intent: dict[str, Any], call: Call | None) -> None:
        charge = self._charge(intent)
        account = self.state.owners[intent["id"]]
        fee: dict[str, Any] | None = None
        if intent["application_fee_amount"]:
            fee = {
                "id": new_id("fee"),
                "object": "application_fee",
                "account": account,
                "amount": intent["application_fee_amount"],
                "amount_refunded": 0,
                "application": "ca_fakeplatform",
                "balance_transaction": new_id("txn"),
                "charge": charge["id"],
                "created": int(time.time()),
                "currency": intent["currency"],
                "livemode": False,
                "originating_transaction": None,
                "refunded": False,
                "refunds": {"object": "list", "data": [], "has_more": False, "url": ""},
            }
            fee["refunds"]["url"] = f"/v1/application_fees/{fee['id']}/refunds"
            self.state.application_fees[fee["id"]] = fee
            charge["application_fee"] = fee["id"]
        intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"])
        intent["last_payment_error"] = None
        self._emit(call, "charge.succeeded", charge)
        self._emit(call, "payment_intent.succeeded", intent)
        if fee is not None:
            self._emit(call, "application_fee.created", fee, platform=True)

    def cancel_intent(self, intent_id: str, params: dict[str, Any], call: Call) -> Answer:
        intent = self._owned(self.state.payment_intents, intent_id, call)
        if intent is None:
            return missing("payment_intent", intent_id)
        if intent["status"] not in CANCELABLE:
            return _unexpected_state(intent, "cancel")
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            return invalid(f"Invalid cancellation_reason: {reason}", "parameter_invalid_string", "cancellation_reason")
        intent.update(status="canceled", canceled_at=int(time.time()), cancellation_reason=reason, next_action=None)
        self._emit(call, "payment_intent.canceled", intent)
        return 200, intent

    def pay(self, intent_id: str, outcome: str) -> dict[str, Any]:
        """What Stripe.js does when the shopper pays: confirm with the test card of ``outcome``."""
        if outcome not in OUTCOME_METHODS:
            raise ValueError(f"unknown outcome {outcome!r}: one of {sorted(OUTCOME_METHODS)}")
        intent = self.state.payment_intents[intent_id]
        if intent["status"] == "processing" and outcome != "processing":
            self._settle(intent, outcome, None)  # the bank answered
        else:
            intent["payment_method"] = OUTCOME_METHODS[outcome]
            status, body = self._confirm(intent, {}, None)
            if status >= 400 and body["error"]["type"] != "card_error":
                raise ValueError(body["error"]["message"])
        copy: dict[str, Any] = dict(intent)
        return copy

    # --- charges, refunds -------------------------------------------------------------------------------

    def retrieve_charge(self, charge_id: str, call: Call) -> Answer:
        charge = self._owned(self.state.charges, charge_id, call)
        return (200, charge) if charge is not None else missing("charge", charge_id)

    def create_refund(self, params: dict[str, Any], call: Call) -> Answer:
        charge: dict[str, Any] | None
        if params.get("payment_intent"):
            intent = self._owned(self.state.payment_intents, params["payment_intent"], call)
            if intent is None:
                return missing("payment_intent", params["payment_intent"], "payment_intent")
            charge = self.state.charges.get(intent["latest_charge"] or "")
            if intent["status"] != "succeeded" or charge is None:
                return invalid(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    "charge_not_refundable",  # hmm: Stripe answers this without a specific code
                    "payment_intent",
                )
        elif params.get("charge"):
            charge = self._owned(self.state.charges, params["charge"], call)
            if charge is None:
                return missing("charge", params["charge"], "charge")
        else:
            return invalid("One of the following params should be provided for this request: payment_intent or charge.")
        remaining = charge["amount"] - charge["amount_refunded"]
        if charge["status"] != "succeeded":
            return invalid(f"Charge {charge['id']} has not succeeded.", "charge_not_refundable")
        if remaining <= 0:
            return invalid(f"Charge {charge['id']} has already been refunded.", "charge_already_refunded")
        amount = remaining
        if "amount" in params:
            parsed = _integer(params["amount"], "amount", minimum=1, maximum=MAX_AMOUNT)
            if isinstance(parsed, tuple):
                return parsed
            amount = parsed
        if amount > remaining:
            return invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                "amount_too_large",
                "amount",
            )
        reason = params.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            return invalid(
                f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", "parameter_invalid_string", "reason"
            )
        metadata = params.get("metadata") or {}
        status = self.state.next_refund_statuses.pop(0) if self.state.next_refund_statuses else "succeeded"
        refund: dict[str, Any] = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "failure_reason": None,
            "metadata": metadata if isinstance(metadata, dict) else {},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": status,
        }
        self.state.refunds[refund["id"]] = refund
        self._created("refund", refund, call)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit(call, "refund.created", refund)
        self._emit(call, "charge.refunded", charge)
        if params.get("refund_application_fee") == "true":
            self._refund_fee(charge, call)
        return 200, refund

    def _refund_fee(self, charge: dict[str, Any], call: Call | None) -> None:
        """Refund the application fee in proportion to what the charge has refunded in all (cumulative, so the
        roundings of partial refunds add up to the whole fee once the charge is fully refunded)."""
        fee = self.state.application_fees.get(charge["application_fee"] or "")
        if fee is None:
            return
        target = divide_half_even(fee["amount"] * charge["amount_refunded"], charge["amount"])
        delta = target - fee["amount_refunded"]
        if delta <= 0:
            return
        fee_refund = {
            "id": new_id("fr"),
            "object": "fee_refund",
            "amount": delta,
            "created": int(time.time()),
            "currency": fee["currency"],
            "fee": fee["id"],
            "metadata": {},
        }
        fee["refunds"]["data"].insert(0, fee_refund)
        fee["amount_refunded"] += delta
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
        self._emit(call, "application_fee.refunded", fee, platform=True)

    def retrieve_refund(self, refund_id: str, call: Call) -> Answer:
        refund = self._owned(self.state.refunds, refund_id, call)
        return (200, refund) if refund is not None else missing("refund", refund_id)

    def update_refund(self, refund_id: str, params: dict[str, Any], call: Call) -> Answer:
        refund = self._owned(self.state.refunds, refund_id, call)
        if refund is None:
            return missing("refund", refund_id)
        if isinstance(params.get("metadata"), dict):
            refund["metadata"] = {k: v for k, v in {**refund["metadata"], **params["metadata"]}.items() if v != ""}
        return 200, refund

    def settle_refund(self, refund_id: str, status: str, *, failure_reason: str = "declined") -> dict[str, Any]:
        """A pending refund's outcome (``succeeded`` or ``failed``): ``refund.updated`` (+ ``refund.failed``)."""
        refund = self.state.refunds[refund_id]
        previous = refund["status"]
        refund["status"] = status
        if status == "failed":
            refund["failure_reason"] = failure_reason
            charge = self.state.charges[refund["charge"]]
            charge["amount_refunded"] -= refund["amount"]  # the money went back to the merchant's balance
            charge["refunded"] = False
        self._emit(None, "refund.updated", refund, previous_attributes={"status": previous})
        if status == "failed":
            self._emit(None, "refund.failed", refund)
        copy: dict[str, Any] = dict(refund)
        return copy

    # --- application fees (the platform's), disputes ----------------------------------------------------

    def retrieve_fee(self, fee_id: str, call: Call) -> Answer:
        fee = self.state.application_fees.get(fee_id)
        if fee is None or call.account is not None:  # fees live on the platform, not on the connected account
            return missing("application_fee", fee_id)
        return 200, fee

    def list_fees(self, params: dict[str, Any], call: Call) -> Answer:
        fees = [] if call.account is not None else list(reversed(self.state.application_fees.values()))
        if params.get("charge"):
            fees = [f for f in fees if f["charge"] == params["charge"]]
        if params.get("starting_after"):
            ids = [f["id"] for f in fees]
            if params["starting_after"] in ids:
                fees = fees[ids.index(params["starting_after"]) + 1 :]
        limit = _integer(params.get("limit", "10"), "limit", minimum=1, maximum=100)
        if isinstance(limit, tuple):
            return limit
        return 200, {
            "object": "list",
            "data": fees[:limit],
            "has_more": len(fees) > limit,
            "url": "/v1/application_fees",
        }

    def dispute(self, target: str, *, reason: str = "fraudulent", amount: int | None = None) -> dict[str, Any]:
        """The cardholder disputes a charge (named by its id or its PaymentIntent's): ``charge.dispute.created``."""
        intent = self.state.payment_intents.get(target)
        charge = self.state.charges[intent["latest_charge"] if intent else target]
        dispute: dict[str, Any] = {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": charge["amount"] if amount is None else amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "needs_response",
        }
        self.state.disputes[dispute["id"]] = dispute
        self.state.owners[dispute["id"]] = self.state.owners[charge["id"]]
        charge["disputed"] = True
        self._emit(None, "charge.dispute.created", dispute)
        copy: dict[str, Any] = dict(dispute)
        return copy

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        dispute = self.state.disputes[dispute_id]
        dispute["status"] = "won" if won else "lost"
        self._emit(None, "charge.dispute.closed", dispute)
        copy: dict[str, Any] = dict(dispute)
        return copy

    def retrieve_dispute(self, dispute_id: str, call: Call) -> Answer:
        dispute = self._owned(self.state.disputes, dispute_id, call)
        return (200, dispute) if dispute is not None else missing("dispute", dispute_id)

    def routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        """(method, path pattern, handler): the pattern's group, if any, is the object id."""
        return [
            ("POST", r"/v1/payment_intents", lambda p, c: self.create_intent(p, c)),
            ("GET", r"/v1/payment_intents/(pi_\w+)", self.retrieve_intent),
            ("POST", r"/v1/payment_intents/(pi_\w+)", self.update_intent),
            ("POST", r"/v1/payment_intents/(pi_\w+)/confirm", self.confirm_intent),
            ("POST", r"/v1/payment_intents/(pi_\w+)/cancel", self.cancel_intent),
            ("GET", r"/v1/charges/(ch_\w+)", lambda i, p, c: self.retrieve_charge(i, c)),
            ("POST", r"/v1/refunds", lambda p, c: self.create_refund(p, c)),
            ("GET", r"/v1/refunds/(re_\w+)", lambda i, p, c: self.retrieve_refund(i, c)),
            ("POST", r"/v1/refunds/(re_\w+)", self.update_refund),
            ("GET", r"/v1/application_fees", lambda p, c: self.list_fees(p, c)),
            ("GET", r"/v1/application_fees/(fee_\w+)", lambda i, p, c: self.retrieve_fee(i, c)),
            ("GET", r"/v1/disputes/(dp_\w+)", lambda i, p, c: self.retrieve_dispute(i, c)),
        ]


def _integer(value: Any, param: str, *, minimum: int, maximum: int) -> int | Answer:
    try:
        number = int(str(value), 10)
    except ValueError:
        return invalid(f"Invalid integer: {value}", "parameter_invalid_integer", param)
    if number < minimum:
        return invalid(f"This value must be greater than or equal to {minimum}.", "parameter_invalid_integer", param)
    if number > maximum:
        return invalid(f"This value must be less than or equal to {maximum}.", "amount_too_large", param)
    return number


def _unexpected_state(intent: dict[str, Any], action: str) -> Answer:
    status, body = invalid(
        f"This PaymentIntent's {action} could not be performed because it has a status of {intent['status']}.",
        "payment_intent_unexpected_state",
    )
    body["error"]["payment_intent"] = intent
    return status, body
