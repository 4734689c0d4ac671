"""Local fakes of third-party services the product calls (Stripe), started by the tests on 127.0.0.1."""
