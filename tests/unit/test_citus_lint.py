"""The Citus lint accepts the product's tenant migrations and refuses what distributed schemas forbid."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations.citus_lint import lint_migrations
from tenants.ddl import TenantMigrations
from tests.fixtures.migrations import BAD, GOOD, planted


def test_every_tenant_migration_passes_the_citus_lint() -> None:
    assert [str(finding) for finding in lint_migrations()] == []


def test_what_distributed_schemas_allow_passes(tmp_path: Path) -> None:
    migrations = planted(tmp_path, GOOD)
    assert len(migrations.upgrade_statements(TenantMigrations().head, "planted")) == 11
    assert [str(finding) for finding in lint_migrations(migrations)] == []


@pytest.mark.parametrize("rule", sorted(BAD))
def test_a_planted_bad_migration_fails_with_its_rule(tmp_path: Path, rule: str) -> None:
    migrations = planted(tmp_path, f"{GOOD};\n{BAD[rule]}")
    findings = lint_migrations(migrations)
    assert {(f.revision, f.rule) for f in findings} == {("planted", rule)}, [str(f) for f in findings]


def test_a_table_keyed_or_dropped_after_its_creation_passes(tmp_path: Path) -> None:
    sql = "CREATE TABLE late (id UUID);\nALTER TABLE late ADD PRIMARY KEY (id);\nCREATE TABLE gone (x INT);\nDROP TABLE gone"
    assert [str(finding) for finding in lint_migrations(planted(tmp_path, sql))] == []
