"""The CI/CD and security configuration is present, well-formed and offline-capable.

What is checked and why: docs/ci-cd-security.md. Nothing here needs the network or a database.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# One list of the application's packages: import-linter's roots. Every other list must name the same.
APP_PACKAGES: list[str] = PYPROJECT["tool"]["importlinter"]["root_packages"]

EXPECTED_JOBS = {
    "ci.yml": {"lint", "types", "imports", "tests", "deploy-checks", "pre-commit"},
    "security.yml": {"pip-audit", "bandit", "safety"},
    "codeql-analysis.yml": {"analyze"},
}


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path.relative_to(ROOT)} is not a YAML mapping"
    return document


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True; GitHub reads it as "on".
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job.get("steps", [])
    assert isinstance(steps, list)
    return steps


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps(job))


def _uses(workflow: dict[str, Any]) -> list[str]:
    return [step["uses"] for job in workflow["jobs"].values() for step in _steps(job) if "uses" in step]


@pytest.mark.parametrize("name", sorted(EXPECTED_JOBS))
def test_workflow_parses_and_has_the_documented_jobs(name: str) -> None:
    workflow = _load(WORKFLOWS / name)
    assert EXPECTED_JOBS[name] <= set(workflow["jobs"])
    for job_id, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"{name}: job {job_id} has no runner"
        assert _steps(job), f"{name}: job {job_id} has no steps"


def test_every_workflow_file_parses() -> None:
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {path.name for path in files} >= set(EXPECTED_JOBS)
    for path in files:
        assert "jobs" in _load(path), path.name


@pytest.mark.parametrize("name", sorted(EXPECTED_JOBS))
def test_workflows_read_the_repository_only_unless_a_job_says_otherwise(name: str) -> None:
    workflow = _load(WORKFLOWS / name)
    assert workflow["permissions"] == {"contents": "read"}
    assert "push" in _triggers(workflow)
    assert "pull_request" in _triggers(workflow)


@pytest.mark.parametrize("name", sorted(EXPECTED_JOBS))
def test_actions_are_pinned(name: str) -> None:
    for uses in _uses(_load(WORKFLOWS / name)):
        action, _, ref = uses.partition("@")
        assert ref, f"{name}: {action} is not pinned"
        assert ref not in {"main", "master", "latest"}, f"{name}: {uses} follows a branch"


def test_ci_runs_the_make_test_checks_and_the_deployment_checks() -> None:
    ci = _load(WORKFLOWS / "ci.yml")
    jobs = ci["jobs"]
    assert ci["concurrency"]["group"]
    assert "cancel-in-progress" in ci["concurrency"]
    assert "ruff check" in _runs(jobs["lint"])
    assert "ruff format --check" in _runs(jobs["lint"])
    assert "mypy" in _runs(jobs["types"])
    assert "lint-imports" in _runs(jobs["imports"])
    assert "make pytest" in _runs(jobs["tests"])
    assert ".ci/check-helm" in _runs(jobs["deploy-checks"])
    assert ".ci/check-docker" in _runs(jobs["deploy-checks"])
    assert "pre-commit run --all-files" in _runs(jobs["pre-commit"])
    for job in jobs.values():
        assert any(str(step.get("uses", "")).startswith("actions/checkout@") for step in _steps(job))


def test_ci_tests_run_against_postgres_and_redis_services() -> None:
    tests = _load(WORKFLOWS / "ci.yml")["jobs"]["tests"]
    services = tests["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "--health-cmd" in services["postgres"]["options"]
    assert "--health-cmd" in services["redis"]["options"]
    database_url = "postgresql://postgres:postgres@localhost:5432/postgres"  # pragma: allowlist secret
    assert tests["env"]["TEST_DATABASE_URL"] == database_url
    assert tests["env"]["REDIS_URL"] == "redis://localhost:6379/0"


def test_security_workflow_audits_dependencies_and_code() -> None:
    security = _load(WORKFLOWS / "security.yml")
    jobs = security["jobs"]
    assert "schedule" in _triggers(security)
    assert "uv export --locked" in _runs(jobs["pip-audit"])
    assert "pip-audit" in _runs(jobs["pip-audit"])
    assert "bandit" in _runs(jobs["bandit"])
    assert "-ll" in _runs(jobs["bandit"])
    # Safety runs only when the SAFETY_API_KEY secret exists (secrets cannot appear in a job `if`).
    safety = jobs["safety"]
    assert "secrets." not in str(safety["if"])
    gate = jobs[safety["needs"]]
    assert "secrets.SAFETY_API_KEY" in json.dumps(gate)
    assert "outputs" in gate


def test_codeql_analyses_python_weekly_with_write_access_to_security_events() -> None:
    codeql = _load(WORKFLOWS / "codeql-analysis.yml")
    assert "schedule" in _triggers(codeql)
    analyze = codeql["jobs"]["analyze"]
    assert analyze["permissions"]["security-events"] == "write"
    uses = _uses(codeql)
    assert any(action.startswith("github/codeql-action/init@") for action in uses)
    assert any(action.startswith("github/codeql-action/analyze@") for action in uses)
    init = next(step for step in _steps(analyze) if str(step.get("uses", "")).startswith("github/codeql-action/init@"))
    assert init["with"]["languages"] == "python"


def test_dependabot_updates_python_actions_and_docker() -> None:
    dependabot = _load(ROOT / ".github" / "dependabot.yml")
    assert dependabot["version"] == 2
    ecosystems = {update["package-ecosystem"]: update for update in dependabot["updates"]}
    assert {"uv", "github-actions", "docker"} <= set(ecosystems)
    assert ecosystems["docker"]["directory"] == "/docker"
    for update in ecosystems.values():
        assert update["schedule"]["interval"]


def test_codeowners_exists() -> None:
    lines = (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("* ") for line in lines)


def test_pre_commit_hooks_are_local_and_run_from_the_locked_venv() -> None:
    config = _load(ROOT / ".pre-commit-config.yaml")
    hook_ids: set[str] = set()
    for repo in config["repos"]:
        # No hook repository is cloned: pre-commit must work without network access.
        assert repo["repo"] == "local"
        for hook in repo["hooks"]:
            assert hook["language"] == "system", hook["id"]
            assert hook["entry"].startswith("uv run --locked "), hook["id"]
            hook_ids.add(hook["id"])
    assert {
        "ruff-check",
        "ruff-format",
        "mypy",
        "import-contracts",
        "check-yaml",
        "check-toml",
        "check-json",
        "end-of-file-fixer",
        "trailing-whitespace",
        "check-merge-conflict",
        "check-added-large-files",
        "detect-private-key",
        "detect-secrets",
        "bandit",
        "yamllint",
    } <= hook_ids


def test_every_list_of_the_application_packages_names_them_all() -> None:
    assert set(APP_PACKAGES) == {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert set(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]) == set(APP_PACKAGES)
    copied = re.findall(r"^COPY ([a-z_]+)/ \1/$", (ROOT / "docker" / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert set(copied) == set(APP_PACKAGES), "the image must copy every application package"
    security = _load(WORKFLOWS / "security.yml")
    assert set(security["env"]["APP_PACKAGES"].split()) == set(APP_PACKAGES)
    bandit_hook = next(
        hook
        for repo in _load(ROOT / ".pre-commit-config.yaml")["repos"]
        for hook in repo["hooks"]
        if hook["id"] == "bandit"
    )
    selects = re.compile(bandit_hook["files"])
    assert [package for package in APP_PACKAGES if not selects.match(f"{package}/__init__.py")] == []


def test_actionlint_accepts_the_workflows() -> None:
    """Expressions, contexts, job graph; and, where shellcheck is installed (CI installs it), every run step."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "actionlint"), "-no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_baseline_is_a_detect_secrets_baseline() -> None:
    baseline = json.loads((ROOT / ".secrets.baseline").read_text(encoding="utf-8"))
    assert baseline["version"]
    assert isinstance(baseline["results"], dict)
    for findings in baseline["results"].values():
        for finding in findings:
            # Slim baseline: no line numbers, so edits elsewhere in a file do not rewrite it.
            assert "line_number" not in finding


def test_workflows_and_dependabot_match_githubs_schemas() -> None:
    """check-jsonschema ships GitHub's schemas (vendored), so this needs no network."""
    checks = [
        subprocess.Popen(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for schema, files in (
            ("vendor.github-workflows", sorted(WORKFLOWS.glob("*.y*ml"))),
            ("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"]),
        )
    ]
    for check in checks:
        output, _ = check.communicate(timeout=60)
        assert check.returncode == 0, output


def test_bandit_finds_no_medium_or_high_severity_issue_in_the_application() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *APP_PACKAGES, "-ll", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{issue['filename']}:{issue['line_number']} {issue['test_id']} {issue['issue_severity']}: {issue['issue_text']}"
        for issue in report["results"]
        if issue["issue_severity"] in {"MEDIUM", "HIGH"}
    ]
    assert not findings, "\n".join(findings)
    assert not report["errors"], report["errors"]
    assert result.returncode == 0, result.stderr
