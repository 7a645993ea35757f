"""What the generated pipeline does, build by build, against SPEC's promotion table.

Each build context is evaluated against the generated `if:` conditions; the
make goals of the job that runs are expanded by the real `make -n --trace`,
which names every target make would update (prerequisites included).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from samples import standalone, write_tree
from shipspec.render.core import render
from tools import require_tool
from travis_conditions import evaluate
from validators import _make_env, _run

BUILD = {"docker-build", "test", "docker-scan"}
RELEASE = BUILD | {"docker-login", "docker-push"}


def pr(base: str) -> dict[str, str]:
    return {"type": "pull_request", "branch": base, "tag": "", "head_branch": "feature/x"}


def push(branch: str) -> dict[str, str]:
    return {"type": "push", "branch": branch, "tag": ""}


def cron(branch: str) -> dict[str, str]:
    return {"type": "cron", "branch": branch, "tag": ""}


# SPEC.md, "The workflow it automates", written out: context -> targets that run.
DEFAULT_TABLE = [
    (pr("master"), BUILD),
    (pr("dev"), BUILD),
    (pr("staging"), BUILD),
    (push("dev"), RELEASE | {"dev-commit", "stag-pr"}),
    (push("staging"), RELEASE | {"stag-commit"}),
    (cron("staging"), RELEASE | {"stag-commit"}),
    (push("master"), RELEASE | {"stag-commit", "prod-pr"}),
    (cron("master"), BUILD),
    (push("feature/login"), BUILD),
    ({"type": "push", "branch": "master", "tag": "master"}, BUILD),  # a tag named like a branch
    ({"type": "api", "branch": "master", "tag": ""}, BUILD),
]
# sample-projects/five-env/shipspec.yaml's branches map, written out.
FIVE_ENV_TABLE = [
    (pr("main"), BUILD),
    (pr("release"), BUILD),
    (push("develop"), RELEASE | {"dev-commit"}),
    (push("qa"), RELEASE | {"qa-commit", "stag-pr"}),
    (push("main"), RELEASE | {"stag-commit", "preprod-pr"}),
    (push("release"), RELEASE | {"preprod-commit", "prod-pr"}),
    (cron("release"), RELEASE | {"preprod-commit", "prod-pr"}),
    (cron("main"), BUILD),
    (push("master"), BUILD),
]
CASES = [
    *(("myapp", ctx, want) for ctx, want in DEFAULT_TABLE),
    *(("minimal", ctx, want) for ctx, want in DEFAULT_TABLE),
    *(("monorepo-api", ctx, want) for ctx, want in DEFAULT_TABLE),
    *(("monorepo-worker", ctx, want - {"docker-scan"}) for ctx, want in DEFAULT_TABLE),  # scan disabled
    *(("five-env", ctx, want) for ctx, want in FIVE_ENV_TABLE),
]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, Path]]:
    result = {}
    for name in {case[0] for case in CASES}:
        rendered = render(standalone(name))  # the single-app pipeline of each spec
        app, _ = write_tree(rendered, tmp_path_factory.mktemp(name))
        result[name] = (yaml.safe_load((app / ".travis.yml").read_text()), app)
    return result


def targets_run(app: Path, commands: list[str]) -> set[str]:
    make = require_tool("make")
    found: set[str] = set()
    for command in commands:
        words = command.split()
        assert words[0] == "make", f"a job step that is not a make call: {command!r}"
        proc = _run([make, "-n", "--trace", *words[1:], "TAG=abc1234"], cwd=app, env=_make_env())
        assert proc.returncode == 0, proc.stderr
        found |= set(re.findall(r"^Makefile:\d+: (?:update )?target '([^']+)' (?:does not exist|due to)", proc.stdout, re.MULTILINE))
    return found


@pytest.mark.parametrize(("sample", "context", "expected"), CASES, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_each_build_runs_exactly_the_targets_of_specs_table(trees, sample, context, expected) -> None:
    travis, app = trees[sample]
    running = [job for job in travis["jobs"]["include"] if evaluate(job["if"], context)]
    assert len(running) == 1, f"{context}: jobs {[job['name'] for job in running]}"
    job = running[0]
    check, *steps = [*job["before_script"], *job["script"]]
    assert check == "shipspec check --skip-charts", "every build proves it is in sync before anything else"
    assert targets_run(app, steps) == expected


@pytest.mark.parametrize("sample", ["myapp", "five-env", "monorepo-worker"])
def test_no_pull_request_into_any_branch_can_log_in_push_or_release(trees, sample) -> None:
    travis, _ = trees[sample]
    bases = ["master", "main", "dev", "develop", "staging", "qa", "release", "other"]
    for job in travis["jobs"]["include"]:
        releasing = any(
            word in s for s in [*job["before_script"], *job["script"]] for word in ("login", "push", "-commit", "-pr")
        )
        if releasing:
            assert not any(evaluate(job["if"], pr(base)) for base in bases), job["name"]
            assert re.match(r"type (= push|IN \(push, cron\)) AND ", job["if"]), job["if"]
