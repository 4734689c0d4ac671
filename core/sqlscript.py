"""SQL scripts (rendered migrations) cut into statements, and executed statement by statement in one round trip.

A script is never sent as one multi-statement string: Citus forwards a DDL command's own query text
to the worker that holds a distributed schema, as a prepared statement, and a prepared statement
holds one command ("cannot insert multiple commands into a prepared statement"). Each statement is
therefore sent on its own, all of them in one psycopg pipeline: one network round trip, as before.

The cutter follows PostgreSQL's lexical rules for what can hide a semicolon: single-quoted strings
(``''`` inside; backslash escapes in ``E'...'``), quoted identifiers, dollar-quoted bodies
(``$$...$$``, ``$tag$...$tag$``), line comments and nested block comments. A piece holding only
comments and whitespace is not a statement.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")
_IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_$\x80-\uffff]")


def split_statements(script: str) -> tuple[str, ...]:
    """The statements of ``script``, in order, each without its terminating semicolon."""
    statements: list[str] = []
    start = 0  # where the current statement's text starts
    meaningful = False  # whether it holds anything but comments and whitespace
    i, n = 0, len(script)
    while i < n:
        char = script[i]
        if char == "-" and script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if char == "/" and script.startswith("/*", i):
            i = _end_of_block_comment(script, i)
            continue
        if char == ";":
            if meaningful:
                statements.append(script[start:i].strip())
            start, meaningful, i = i + 1, False, i + 1
            continue
        if not char.isspace():
            meaningful = True
        if char == "'":
            escapes = i > 0 and script[i - 1] in "eE" and (i < 2 or not _IDENTIFIER_CHAR.match(script[i - 2]))
            i = _end_of_string(script, i, backslash_escapes=escapes)
        elif char == '"':
            i = _end_of_quoted(script, i, '"')
        elif char == "$" and (i == 0 or not _IDENTIFIER_CHAR.match(script[i - 1])):
            tag = _DOLLAR_TAG.match(script, i)
            if tag is None:
                i += 1
            else:
                end = script.find(tag.group(0), tag.end())
                i = n if end < 0 else end + len(tag.group(0))
        else:
            i += 1
    if meaningful:
        statements.append(script[start:].strip())
    return tuple(statements)


def _end_of_block_comment(script: str, i: int) -> int:
    depth, i = 1, i + 2  # block comments nest in PostgreSQL
    while i < len(script) and depth:
        if script.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif script.startswith("*/", i):
            depth, i = depth - 1, i + 2
        else:
            i += 1
    return i


def _end_of_quoted(script: str, i: int, quote: str) -> int:
    """Past the closing ``quote`` of a literal opened at ``i`` (a doubled quote stays inside)."""
    i += 1
    while i < len(script):
        if script[i] == quote:
            if script.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _end_of_string(script: str, i: int, *, backslash_escapes: bool) -> int:
    if not backslash_escapes:
        return _end_of_quoted(script, i, "'")
    i += 1
    while i < len(script):
        if script[i] == "\\":
            i += 2
        elif script[i] == "'":
            if script.startswith("''", i):
                i += 2
                continue
            return i + 1
        else:
            i += 1
    return i


def run_statements(connection: psycopg.Connection[Any], statements: tuple[str, ...]) -> None:
    """Execute ``statements`` in order, in the connection's current transaction, in one pipeline."""
    with connection.pipeline():
        for statement in statements:
            connection.execute(statement.encode())


async def run_statements_async(connection: psycopg.AsyncConnection[Any], statements: tuple[str, ...]) -> None:
    """:func:`run_statements` on an async connection."""
    async with connection.pipeline():
        for statement in statements:
            await connection.execute(statement.encode())
