from __future__ import annotations

import uuid

import pytest

from core.db import quote_schema, validate_schema_name
from core.errors import InvalidSchemaName
from tenants.ddl import schema_name_for


def test_schema_name_is_derived_from_the_id_and_reveals_nothing_else() -> None:
    tenant_id = uuid.uuid4()
    assert schema_name_for(tenant_id) == f"t_{tenant_id.hex}"


@pytest.mark.parametrize(
    "name", ["public", "pg_catalog", 'x"; drop schema public; --', "Upper", "1abc", "", "a" * 64, "a-b", "a b"]
)
def test_unsafe_schema_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidSchemaName):
        validate_schema_name(name)
    with pytest.raises(InvalidSchemaName):
        quote_schema(name)


def test_safe_schema_name_is_quoted() -> None:
    assert quote_schema("t_abc") == '"t_abc"'
