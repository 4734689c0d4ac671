"""Reference material that must follow the code: every setting in .env-example, every task in docs/workers.md."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

from core.settings import Settings
from workers.app import create_celery
from workers.registry import TASKS

ROOT = Path(__file__).resolve().parents[2]


def _names(field_name: str, field: FieldInfo, prefix: str) -> set[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):  # top-level aliases are whole variable names (DATABASE_URL)
        if prefix == "COMMERCE_":
            return {str(choice).upper() for choice in alias.choices}
        return {f"{prefix}{field_name.upper()}"}
    return {f"{prefix}{field_name.upper()}"}


def settings_variables() -> set[str]:
    """Every environment variable the settings model reads: COMMERCE_<FIELD> and COMMERCE_<GROUP>__<FIELD>."""
    variables: set[str] = set()
    for name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            for inner_name, inner in group.model_fields.items():
                variables |= _names(inner_name, inner, f"COMMERCE_{name.upper()}__")
        else:
            variables |= _names(name, field, "COMMERCE_")
    return variables


def test_env_example_lists_exactly_the_settings() -> None:
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (ROOT / ".env-example").read_text(), flags=re.MULTILINE))

    assert settings_variables() - listed == set(), "settings missing from .env-example"
    assert listed - settings_variables() == set(), ".env-example names variables the settings do not read"


def test_the_task_table_lists_every_task() -> None:
    create_celery(Settings())  # binds, and so imports, every task module
    table = (ROOT / "docs" / "workers.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| (?:tenant|platform) \|", table, flags=re.MULTILINE))

    declared = {name for name in TASKS if not name.startswith("tests.")}  # the suite declares probes of its own

    assert declared - documented == set(), "tasks missing from docs/workers.md"
    assert documented - declared == set(), "docs/workers.md lists tasks that do not exist"
