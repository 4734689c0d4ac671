"""The local Stripe fake lives in the product now (billing/stripe_fake: `commerce dev` runs it too); the
tests keep importing it from here."""

from billing.stripe_fake import (
    Delivery,
    EventEmitter,
    FakeStripe,
    RecordedRequest,
    parse_form,
    stripe_signature_header,
)

__all__ = ["Delivery", "EventEmitter", "FakeStripe", "RecordedRequest", "parse_form", "stripe_signature_header"]
