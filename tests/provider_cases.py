"""SPEC's promotion table as provider-neutral events, and the specs it is checked on, for every provider."""

from __future__ import annotations

from pathlib import Path

from shipspec.render.plan import Event
from shipspec.render.core import Output, render
from shipspec.spec.validation import LoadedSpec
from shipspec.files.specfile import load
from samples import SAMPLES_DIR, write_tree

BUILD = {"docker-build", "test", "docker-scan"}
RELEASE = BUILD | {"docker-login", "docker-push"}


def pr(base: str) -> Event:
    return Event("pull_request", base)


def push(branch: str) -> Event:
    return Event("push", branch)


def cron(branch: str) -> Event:
    return Event("schedule", branch)


# SPEC.md, "The workflow it automates": event -> make targets that run (make -n expands them).
DEFAULT_TABLE = [
    (pr("master"), BUILD), (pr("dev"), BUILD), (pr("staging"), BUILD),
    (push("dev"), RELEASE | {"dev-commit", "stag-pr"}),
    (push("staging"), RELEASE | {"stag-commit"}),
    (cron("staging"), RELEASE | {"stag-commit"}),
    (push("master"), RELEASE | {"stag-commit", "prod-pr"}),
    (cron("master"), BUILD),
    (push("feature/login"), BUILD),
    (Event("tag", "master"), BUILD),  # a tag named like a branch
    (Event("manual", "master"), BUILD),
]
# sample-projects/five-env/shipspec.yaml's branches map, written out.
FIVE_ENV_TABLE = [
    (pr("main"), BUILD), (pr("release"), BUILD),
    (push("develop"), RELEASE | {"dev-commit"}),
    (push("qa"), RELEASE | {"qa-commit", "stag-pr"}),
    (push("main"), RELEASE | {"stag-commit", "preprod-pr"}),
    (push("release"), RELEASE | {"preprod-commit", "prod-pr"}),
    (cron("release"), RELEASE | {"preprod-commit", "prod-pr"}),
    (cron("main"), BUILD), (push("master"), BUILD), (Event("tag", "release"), BUILD), (Event("manual", "qa"), BUILD),
]
# One environment: master releases it by a direct commit (SPEC). Goals, not make -n: the
# Makefile's `prod-commit` for a single environment comes with another change.
ONE_ENV_GOALS = ("docker-build", "test", "docker-push", "prod-commit")
ONE_ENV_TABLE = [
    (pr("master"), None), (push("master"), ONE_ENV_GOALS), (push("dev"), None), (cron("master"), None),
    (Event("tag", "master"), None), (Event("manual", "master"), None),
]
ONE_ENV_SPEC = """apiVersion: shipspec/v1
kind: App
name: solo
image:
  repository: acme/solo
charts:
  repo: git@github.com:acme/charts.git
environments:
  - name: prod
branches:
  master: {deploy: [prod]}
"""


def spec_for(kind: str, ci: str, root: Path) -> LoadedSpec:
    """The default, five-environment or one-environment spec with `ci: <ci>`, written below `root`."""
    text = {
        "default": (SAMPLES_DIR / "myapp" / "shipspec.yaml").read_text(encoding="utf-8"),
        "five-env": (SAMPLES_DIR / "five-env" / "shipspec.yaml").read_text(encoding="utf-8"),
        "one-env": ONE_ENV_SPEC,
    }[kind]
    path = root / "spec" / "shipspec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{text.rstrip()}\nci: {ci}\n", encoding="utf-8")
    return load(path)


def rendered_app(kind: str, ci: str, root: Path) -> tuple[dict[Output, str], Path]:
    rendered = render(spec_for(kind, ci, root))
    app, _ = write_tree(rendered, root / "tree")
    return rendered, app


TABLES = {"default": DEFAULT_TABLE, "five-env": FIVE_ENV_TABLE, "one-env": ONE_ENV_TABLE}
