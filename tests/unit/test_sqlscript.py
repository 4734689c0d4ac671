"""Cutting SQL scripts into statements: what PostgreSQL's own parser sees, semicolons in quotes and comments kept."""

from __future__ import annotations

import pglast
import pytest

from core.sqlscript import split_statements
from tenants.ddl import TenantMigrations
from tests.fixtures.migrations import GOOD


def parsed_one_by_one(statements: tuple[str, ...]) -> list[object]:
    trees: list[object] = []
    for statement in statements:
        [raw] = pglast.parse_sql(statement)  # exactly one statement in each piece
        trees.append(raw.stmt)
    return trees


@pytest.mark.parametrize("script", [TenantMigrations().upgrade_sql(None, TenantMigrations().head), GOOD])
def test_pieces_are_the_statements_postgresql_parses(script: str) -> None:
    assert parsed_one_by_one(split_statements(script)) == [raw.stmt for raw in pglast.parse_sql(script)]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("SELECT 1; SELECT 2", ("SELECT 1", "SELECT 2")),
        ("SELECT 'a;b', 'it''s;'; SELECT 2;", ("SELECT 'a;b', 'it''s;'", "SELECT 2")),
        ("SELECT E'\\';x'; SELECT 2", ("SELECT E'\\';x'", "SELECT 2")),
        ("SELECT 'a\\'; SELECT 2", ("SELECT 'a\\'", "SELECT 2")),  # standard strings: a backslash is a backslash
        ('SELECT 1 AS "x;""y"; SELECT 2', ('SELECT 1 AS "x;""y"', "SELECT 2")),
        ("SELECT $$a;$$; SELECT $t$ $$; $t$", ("SELECT $$a;$$", "SELECT $t$ $$; $t$")),
        ("SELECT 1 AS a$b; SELECT 2", ("SELECT 1 AS a$b", "SELECT 2")),
        ("SELECT 1 /* a; /* nested; */ still; */; SELECT 2", ("SELECT 1 /* a; /* nested; */ still; */", "SELECT 2")),
        ("-- only; a comment\nSELECT 1; -- trailing; comment\n", ("-- only; a comment\nSELECT 1",)),
        ("; ;\n/* nothing */ ;", ()),
    ],
)
def test_semicolons_inside_literals_and_comments_do_not_cut(script: str, expected: tuple[str, ...]) -> None:
    assert split_statements(script) == expected
