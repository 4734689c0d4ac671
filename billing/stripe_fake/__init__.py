"""A local Stripe: the subset of Stripe's API that billing/ calls, over real HTTP, for the tests and for
`commerce dev` (a whole checkout without a Stripe account). It imports nothing from the Stripe SDK (the
real SDK is the client under test) and nothing else of the product but ``core.money``.

See docs/payments.md ("The Stripe fake") for what it implements.
"""

from billing.stripe_fake.events import Delivery, EventEmitter
from billing.stripe_fake.server import FakeStripe
from billing.stripe_fake.state import RecordedRequest
from billing.stripe_fake.wire import parse_form, stripe_signature_header

__all__ = ["Delivery", "EventEmitter", "FakeStripe", "RecordedRequest", "parse_form", "stripe_signature_header"]
