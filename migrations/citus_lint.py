"""Lint of the tenant migrations for Citus schema-based sharding (``python -m migrations.citus_lint``).

Each tenant schema must stay self-contained, so that Citus can place it whole on one worker and move it
whole (docs/scaling.md). The lint renders every tenant revision to SQL exactly as provisioning and
``commerce migrate`` do (Alembic offline mode, cut by ``core.sqlscript``), parses each statement with
PostgreSQL's own parser (``pglast``, a development dependency) and refuses:

| rule | what | why |
|---|---|---|
| ``cross-schema-foreign-key`` | a foreign key to a schema-qualified table | Citus: a table of a distributed schema may only reference tables of its own schema (or reference tables) |
| ``cross-schema-view`` | a view reading a schema-qualified relation | the view would join two placements |
| ``cross-schema-reference`` | any other schema-qualified relation (``public.tenants``, ``other.table``, ``'public.x'::regclass``) | tenant objects must not depend on ``public`` or on another tenant |
| ``shared-sequence`` | ``nextval('schema.seq')``, or a sequence created in another schema | one sequence shared by every tenant |
| ``qualified-function`` / ``qualified-type`` | a function or type of another schema (``pg_catalog`` is fine) | it must exist on every worker, and ties tenants together |
| ``trigger`` | ``CREATE TRIGGER`` | Citus: "triggers are not supported on distributed tables" |
| ``no-primary-key`` | a table left without a primary key | shard moves (rebalancing) replicate by replica identity |
| ``serial-key`` | ``serial`` / ``smallserial`` columns | keys are bigint or UUID (DESIGN: scale-out) |
| ``routing`` | ``CREATE``/``DROP SCHEMA``, ``SET`` (``search_path``, ``role``), ``CREATE EXTENSION`` | a migration never moves itself out of its schema nor changes the database |
| ``not-transactional`` | ``CREATE INDEX CONCURRENTLY``, ``VACUUM`` | each tenant migrates in one transaction |

Foreign keys, views and functions between the tables of one schema (unqualified names) are fine.
"""

# ruff: noqa: N802  -- pglast dispatches to visit_<NodeClass> methods, named after its CamelCase node classes

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

import pglast
from pglast import ast
from pglast.enums import ConstrType, ObjectType
from pglast.visitors import Ancestor, Visitor

from tenants.ddl import TenantMigrations

ALLOWED_SCHEMAS = frozenset({"pg_catalog"})
_SEQUENCE_FUNCTIONS = frozenset({"nextval", "currval", "setval"})
_SERIAL_TYPES = frozenset({"serial", "serial2", "serial4", "smallserial"})


@dataclass(frozen=True, slots=True)
class Finding:
    revision: str
    rule: str
    message: str
    statement: str

    def __str__(self) -> str:
        first_line = self.statement.splitlines()[0] if self.statement else ""
        return f"{self.revision}: [{self.rule}] {self.message}\n    in: {first_line[:160]}"


def _qualified(names: Iterable[ast.Node] | None) -> str | None:
    """The schema of a qualified name (``(schema, name)``), or None for an unqualified one."""
    parts = [getattr(part, "sval", None) for part in names or ()]
    return parts[0] if len(parts) > 1 and isinstance(parts[0], str) else None


def _last(names: Iterable[ast.Node] | None) -> str:
    """The last part of a (possibly qualified) name."""
    parts = [getattr(part, "sval", "") for part in names or ()]
    return str(parts[-1]) if parts else ""


class _StatementLint(Visitor):
    """Findings of one statement (the visitor walks every node of its parse tree)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[tuple[str, str]] = []

    def add(self, rule: str, message: str) -> None:
        self.problems.append((rule, message))

    def visit_RangeVar(self, ancestors: Ancestor, node: ast.RangeVar) -> None:
        if node.schemaname is None or node.schemaname in ALLOWED_SCHEMAS:
            return
        name = f"{node.schemaname}.{node.relname}"
        if ancestors.node is not None and isinstance(ancestors.node, ast.Constraint):
            self.add("cross-schema-foreign-key", f"foreign key to {name}: reference tables of the same schema only")
        elif any(isinstance(a.node, ast.ViewStmt) for a in _chain(ancestors)):
            self.add("cross-schema-view", f"view reads {name}: a view may read its own schema only")
        elif any(isinstance(a.node, ast.CreateSeqStmt) for a in _chain(ancestors)):
            self.add("shared-sequence", f"sequence {name} lives outside the tenant schema")
        else:
            self.add("cross-schema-reference", f"{name} is outside the tenant schema")

    def visit_FuncCall(self, ancestors: Ancestor, node: ast.FuncCall) -> None:
        schema = _qualified(node.funcname)
        name = _last(node.funcname)
        if schema is not None and schema not in ALLOWED_SCHEMAS:
            self.add("qualified-function", f"function {schema}.{name} lives outside the tenant schema")
        if name in _SEQUENCE_FUNCTIONS and node.args:
            first = node.args[0]
            literal = getattr(getattr(first, "val", None), "sval", None)
            if isinstance(first, ast.TypeCast):
                literal = getattr(getattr(first.arg, "val", None), "sval", None)
            if isinstance(literal, str) and "." in literal and not literal.startswith("pg_catalog."):
                self.add("shared-sequence", f"{name}('{literal}') uses a sequence outside the tenant schema")

    def visit_TypeName(self, ancestors: Ancestor, node: ast.TypeName) -> None:
        schema = _qualified(node.names)
        name = _last(node.names)
        if schema is not None and schema not in ALLOWED_SCHEMAS:
            self.add("qualified-type", f"type {schema}.{name} lives outside the tenant schema")
        if schema is None and name in _SERIAL_TYPES:
            self.add("serial-key", f"{name} column: use bigint (bigserial, identity) or UUID keys")

    def visit_TypeCast(self, ancestors: Ancestor, node: ast.TypeCast) -> None:
        target = _last(node.typeName.names if node.typeName is not None else None)
        literal = getattr(getattr(node.arg, "val", None), "sval", None)
        if target in {"regclass", "regproc", "regprocedure", "regtype", "regnamespace"} and isinstance(literal, str):
            schema = literal.split(".", 1)[0] if "." in literal else None
            if schema is not None and schema.strip('"') not in ALLOWED_SCHEMAS:
                self.add("cross-schema-reference", f"'{literal}'::{target} is outside the tenant schema")

    def visit_CreateTrigStmt(self, ancestors: Ancestor, node: ast.CreateTrigStmt) -> None:
        self.add("trigger", "Citus refuses triggers on distributed tables: use a generated column or the service")

    def visit_CreateSchemaStmt(self, ancestors: Ancestor, node: ast.CreateSchemaStmt) -> None:
        self.add("routing", "a tenant migration never creates a schema (provisioning does)")

    def visit_DropStmt(self, ancestors: Ancestor, node: ast.DropStmt) -> None:
        if node.removeType == ObjectType.OBJECT_SCHEMA:
            self.add("routing", "a tenant migration never drops a schema (purge does)")

    def visit_VariableSetStmt(self, ancestors: Ancestor, node: ast.VariableSetStmt) -> None:
        self.add("routing", f"SET {node.name}: the runner owns the transaction's settings and routing")

    def visit_CreateExtensionStmt(self, ancestors: Ancestor, node: ast.CreateExtensionStmt) -> None:
        self.add("routing", f"CREATE EXTENSION {node.extname}: extensions are database-wide (a public migration)")

    def visit_IndexStmt(self, ancestors: Ancestor, node: ast.IndexStmt) -> None:
        if node.concurrent:
            self.add("not-transactional", "CREATE INDEX CONCURRENTLY cannot run in the tenant's transaction")

    def visit_VacuumStmt(self, ancestors: Ancestor, node: ast.VacuumStmt) -> None:
        self.add("not-transactional", "VACUUM/ANALYZE cannot run in the tenant's transaction")


def _chain(ancestors: Ancestor) -> Iterable[Ancestor]:
    current: Ancestor | None = ancestors
    while current is not None and current.node is not None:
        yield current
        current = current.parent


def _primary_key_changes(statement: ast.Node) -> tuple[str | None, str | None]:
    """(a table this statement creates without a primary key, a table it gives one or drops)."""
    if isinstance(statement, ast.CreateStmt) and statement.partbound is None:
        elements = statement.tableElts or ()
        constraints = [c for e in elements if isinstance(e, ast.Constraint) for c in [e]]
        constraints += [c for e in elements if isinstance(e, ast.ColumnDef) for c in e.constraints or ()]
        has_key = any(c.contype == ConstrType.CONSTR_PRIMARY for c in constraints)
        return (None if has_key else _relname(statement.relation)), None
    if isinstance(statement, ast.AlterTableStmt):
        for command in statement.cmds or ():
            constraint = getattr(command, "def_", None)
            if isinstance(constraint, ast.Constraint) and constraint.contype == ConstrType.CONSTR_PRIMARY:
                return None, _relname(statement.relation)
    if isinstance(statement, ast.DropStmt) and statement.removeType == ObjectType.OBJECT_TABLE:
        for names in statement.objects or ():
            return None, _last(names)  # a dropped table needs no key (one table per rendered DROP)
    return None, None


def _relname(relation: ast.RangeVar | None) -> str:
    return str(relation.relname) if relation is not None else ""


def _parsed(statement: str) -> list[ast.Node]:
    return [raw.stmt for raw in pglast.parse_sql(statement) if raw.stmt is not None]


def lint_statements(statements: Iterable[str], revision: str) -> list[Finding]:
    """Findings of one revision's rendered statements (tables left without a primary key excepted)."""
    findings: list[Finding] = []
    for statement in statements:
        for parsed in _parsed(statement):
            visitor = _StatementLint()
            visitor(parsed)
            findings.extend(Finding(revision, rule, message, statement) for rule, message in visitor.problems)
    return findings


def lint_migrations(migrations: TenantMigrations | None = None) -> list[Finding]:
    """Every finding of every tenant revision, base to head, one revision at a time."""
    migrations = migrations or TenantMigrations()
    findings: list[Finding] = []
    without_key: dict[str, tuple[str, str]] = {}  # table -> (revision, statement) that created it keyless
    for script in reversed(list(migrations.scripts.walk_revisions("base", "heads"))):
        down = script.down_revision
        if isinstance(down, tuple | list):  # a merge point: its own DDL only, rendered from its first parent
            down = down[0]
        statements = migrations.upgrade_statements(down, script.revision)
        findings.extend(lint_statements(statements, script.revision))
        for statement in statements:
            for parsed in _parsed(statement):
                created, keyed = _primary_key_changes(parsed)
                if created is not None:
                    without_key[created] = (script.revision, statement)
                if keyed is not None:
                    without_key.pop(keyed, None)
    for table, (revision, statement) in without_key.items():
        findings.append(
            Finding(revision, "no-primary-key", f"table {table} has no primary key (shards move by it)", statement)
        )
    return findings


def main() -> int:
    findings = lint_migrations()
    for finding in findings:
        print(finding, file=sys.stderr)
    head = TenantMigrations().head
    print(f"citus lint: {len(findings)} finding(s) in the tenant migrations up to {head}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
