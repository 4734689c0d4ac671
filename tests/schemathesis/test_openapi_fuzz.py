"""Every operation of the served OpenAPI document, fuzzed with valid and invalid data: no server error, and every
response the document describes matches its schema.

One test walks the operations itself (schemathesis' pytest plugin does not support this pytest): for each
operation and each generation mode, hypothesis runs up to SCHEMATHESIS_MAX_EXAMPLES cases; the first failure of
an operation is recorded and the walk goes on, so one run reports every failing operation.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.schemathesis.conftest import Served

# 64 operations in two modes: 25 examples each is about 2,400 requests, under a minute here (40: 3,775 in 72 s).
EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
# Signing the owner out would leave the rest of the run without a staff credential.
SKIPPED = {"admin_auth_logout"}


def test_no_server_error_and_responses_match_the_document(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the document itself is invalid
        operations.append(result.ok())
    failures: dict[str, str] = {}
    cases = 0

    for operation in operations:
        if operation.definition.raw.get("operationId") in SKIPPED:
            continue
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,  # the same cases every run: a failure is reproducible, never a flake
                phases=[Phase.explicit, Phase.generate],  # no shrinking: report fast, the case is printed anyway
                database=None,
            )
            def check(case: schemathesis.Case[Any]) -> None:
                nonlocal cases
                cases += 1
                case.call_and_validate(
                    base_url=served.base_url,
                    headers=served.headers_for(case.path),
                    checks=[not_a_server_error, response_schema_conformance],
                )

            try:
                check()
            except Unsatisfiable:
                continue  # nothing to make invalid: an operation without parameters or body, in negative mode
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as failure:  # schemathesis raises exception groups; all are reported below
                failures[f"{mode.value} {operation.label}"] = str(failure)[:2000]

    print(f"schemathesis: {len(operations)} operations, {cases} cases, {len(failures)} failing")
    assert len(operations) >= 50  # the document was read whole
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
