"""Every valid spec releases: each make target a generated CI job calls exists, and each
`shipspec promote` (and, with argocd.server, `shipspec gate`) call those targets make is one
that the command accepts.

Specs are drawn at random (1 to 6 environments, any valid branch table, pins, with or without
argocd.server), the CI jobs' make calls are expanded by the real `make -n`, and every promote
and gate command line is put to the command's own validation.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from tools import require_tool

from shipspec.release.gate import prepare as gate_prepare
from shipspec.release.promote import prepare
from shipspec.errors import ShipspecError
from shipspec.render.core import render
from shipspec.files.specfile import load

NAMES = ["dev", "qa", "uat", "stag", "preprod", "prod"]


@st.composite
def specs(draw: st.DrawFn) -> dict:
    count = draw(st.integers(1, 6))
    envs = NAMES[:count - 1] + ["prod"] if count > 1 else ["prod"]
    environments = [{"name": name, **({"pin": "v1.2.3"} if draw(st.booleans()) and i % 2 else {})}
                    for i, name in enumerate(envs)]
    branches = {}
    for number in range(draw(st.integers(1, 4))):
        deployable = envs if count == 1 else envs[:-1]
        deploy = draw(st.lists(st.sampled_from(deployable), unique=True, max_size=len(deployable)))
        # Proposing environment k needs k-1 deployed in the same run, and never the first one.
        proposable = [env for k, env in enumerate(envs) if k and envs[k - 1] in deploy and env not in deploy]
        propose = draw(st.lists(st.sampled_from(proposable), unique=True)) if proposable else []
        branches[f"branch-{number}"] = {"deploy": deploy, "propose": propose, "cron": draw(st.booleans())}
    return {"apiVersion": "shipspec/v1", "kind": "App", "name": "app", "image": {"repository": "acme/app"},
            "charts": {"repo": "git@github.com:acme/charts.git"}, "environments": environments,
            "branches": branches, "ci": draw(st.sampled_from(["travis", "github", "gitlab"])),
            **({"argocd": {"server": "https://argocd.example.com"}} if draw(st.booleans()) else {})}


def make_calls(document: object) -> list[list[str]]:
    """The make goals of every command line anywhere in a CI file (Travis scripts, GitHub `run:`,
    GitLab `script:`)."""
    if isinstance(document, dict):
        return [call for value in document.values() for call in make_calls(value)]
    if isinstance(document, list):
        return [call for value in document for call in make_calls(value)]
    if isinstance(document, str):
        lines = [shlex.split(line) for line in document.splitlines() if line.strip().startswith("make ")]
        return [words[1:] for words in lines]
    return []


@settings(max_examples=examples(40), deadline=None)
@given(specs())
def test_every_make_target_a_job_calls_exists_and_every_promote_it_runs_is_accepted(data: dict) -> None:
    make = require_tool("make")
    with tempfile.TemporaryDirectory(prefix="shipspec-shape-") as name:
        folder = Path(name)
        spec_path = folder / "shipspec.yaml"
        spec_path.write_text(yaml.safe_dump(data))
        loaded = load(spec_path)
        files = {o.path: text for o, text in render(loaded).items() if o.root == "app"}
        (folder / "Makefile").write_text(files.pop("Makefile"))
        [pipeline] = files.values()
        calls = make_calls(yaml.safe_load(pipeline))
        assert any("docker-push" in goals for goals in calls) == any(  # every releasing branch has its job
            rule["deploy"] or rule["propose"] for rule in data["branches"].values())
        for goals in calls:
            done = subprocess.run([make, "-n", *goals, "TAG=abc1234", "SHIPSPEC=shipspec"], cwd=folder,
                                  capture_output=True, text=True, check=False)
            assert done.returncode == 0, (goals, done.stderr)  # a missing target fails `make -n`
            for line in done.stdout.splitlines():
                words = shlex.split(line)
                if words[:2] == ["shipspec", "promote"]:
                    _assert_promote_accepts(words[2:], spec_path)
                if words[:2] == ["shipspec", "gate"]:
                    _assert_gate_accepts(words[2:], spec_path)
                    assert "--wait" in words  # the pipeline's gate waits up to argocd.gateTimeout


def _assert_gate_accepts(args: list[str], spec: Path) -> None:
    try:
        gate_prepare(args[0], args[args.index("--tag") + 1], str(spec))
    except ShipspecError as exc:
        pytest.fail(f"gate {' '.join(args)} is refused: {exc.message}")


def _assert_promote_accepts(args: list[str], spec: Path) -> None:
    env, tag, pr = args[0], args[args.index("--tag") + 1], "--pr" in args
    try:
        prepare(env, tag, pr=pr, dry_run=True, spec=str(spec), app_repo=None, charts_url=None)
    except ShipspecError as exc:
        pytest.fail(f"promote {' '.join(args)} is refused: {exc.message}")
