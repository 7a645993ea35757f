"""Every `${{ }}` of every generated workflow means to GitHub's own parser what it means as YAML.

@actions/workflow-parser (the parser behind GitHub's editor tooling) reads a
multi-line scalar's `${{ }}` from its raw source: a folded double-quoted
checkout ref evaluated to `"refs/heads/staging"` with the quote characters.
Here every expression token its template reader makes from every generated
workflow (the samples and the provider specs, with long branch names) is
evaluated in several contexts and compared with the same scalar read as YAML,
each `${{ }}` evaluated alone; no token may hold a quote or a line break that
the YAML value does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ci_tools import github_tools
from provider_cases import rendered_app
from samples import SAMPLES_DIR

CONTEXTS = [
    {"event_name": "push", "ref": "refs/heads/staging", "sha": "0123456789abcdef0123456789abcdef01234567"},
    {"event_name": "schedule", "ref": "refs/heads/master", "sha": "89abcdef0123456789abcdef0123456789abcdef"},
    {"event_name": "pull_request", "ref": "refs/pull/7/merge", "sha": "fedcba9876543210fedcba9876543210fedcba98"},
]
LONG_BRANCHES = """\
environments:
  - name: dev
  - name: stag
  - name: prod
branches:
  feature-branch-with-a-very-long-name-for-the-nightly-cron-build:
    deploy: [dev]
    cron: true
  release/the-staging-branch-of-the-quarterly-release-train: {deploy: [stag], cron: true}
  master: {deploy: [stag], propose: [prod]}
"""


def workflows(tmp_path: Path) -> list[Path]:
    found = sorted(SAMPLES_DIR.rglob(".github/workflows/*.yml"))
    for kind in ("default", "five-env", "one-env"):
        _, app = rendered_app(kind, "github", tmp_path / kind)
        found += sorted(app.rglob(".github/workflows/*.yml"))
    spec = tmp_path / "long" / "shipspec.yaml"
    spec.parent.mkdir()
    spec.write_text("apiVersion: shipspec/v1\nkind: App\nname: app-with-a-long-name\nimage:\n  repository: acme/app\n"
                    "charts:\n  repo: git@github.com:acme/charts.git\nci: github\n" + LONG_BRANCHES)
    from shipspec.files.specfile import load
    from shipspec.render.core import render
    from samples import write_tree

    app, _ = write_tree(render(load(spec)), tmp_path / "long" / "tree")
    return found + sorted(app.rglob(".github/workflows/*.yml"))


def test_every_expression_reads_alike_in_yaml_and_in_the_workflow_parser(tmp_path: Path) -> None:
    paths = workflows(tmp_path)
    assert len(paths) >= 5
    checked = 0
    for path in paths:
        result = github_tools(path, [], CONTEXTS)
        assert result["parse"] == [] and result["convert"] == [], (path, result["parse"], result["convert"])
        text = path.read_text(encoding="utf-8")
        assert text.count("${{") == sum(token["source"].count("${{") for token in result["tokens"]), path
        for token in result["tokens"]:
            where = f"{path}: {token['source']!r}"
            assert "\n" not in token["source"] and "\n" not in token["expression"], f"folded over lines: {where}"
            assert token["yaml"] is not None, where
            if token["expression"].startswith("format("):  # text around the expression: no stray quotes
                assert '"' not in token["expression"].split(",", 1)[0], where
            assert token["values"] == token["expected"], where
            checked += 1
    assert checked >= 20


def test_a_folded_expression_is_what_this_test_catches(tmp_path: Path) -> None:
    """The check itself: the layout shipspec wrote before (folded inside double quotes) fails it."""
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"
        "        with:\n          ref:\n            \"${{ github.event_name == 'schedule' && 'refs/heads/staging' ||\n"
        "            github.sha }}\"\n")
    assert yaml.safe_load(workflow.read_text())["jobs"]["a"]["steps"][0]["with"]["ref"].startswith("${{")
    [token] = github_tools(workflow, [], CONTEXTS[1:2])["tokens"]
    assert token["values"] == ['"refs/heads/staging"'] and token["expected"] == ["refs/heads/staging"]
