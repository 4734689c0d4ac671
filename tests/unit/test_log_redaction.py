from __future__ import annotations

import logging

from auth.secrets import SecretKind, new_secret
from core.logging import RedactSecrets


def test_generated_secrets_are_cut_to_their_prefix_in_log_lines() -> None:
    secrets = [new_secret(kind) for kind in SecretKind]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "issued %s and %s", (secrets[0], secrets[-1]), None)

    RedactSecrets().filter(record)

    message = record.getMessage()
    assert secrets[0] not in message
    assert secrets[-1] not in message
    assert f"{SecretKind.STAFF_ACCESS.value}_[redacted]" in message


def test_ordinary_messages_pass_unchanged() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "tenant %s provisioned", ("shop_acme",), None)

    RedactSecrets().filter(record)

    assert record.getMessage() == "tenant shop_acme provisioned"
