"""Hostile text in every free-text field the validators accept cannot change a generated file's structure.

YAML syntax, Jinja syntax, shell metacharacters, `$(...)`, backticks, quotes,
bidi and odd Unicode go into branch names, test.command, the Dockerfile and
context paths, the charts repo URL, the cluster URL, the Slack channel, sync
options and values. Each YAML file must load to exactly the data built here
from the spec (not from the templates), `make -n` of each target must run
exactly the expected argument vectors, and each Travis `if:` condition must
parse and select exactly the job of its branch.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from shipspec.spec import names
from shipspec.spec.loader import parse_document
from shipspec.render.core import Output, render
from shipspec.spec.validation import LoadedSpec, validate
from tools import require_tool
from travis_conditions import evaluate
from validators import _make_env, _run

PIECES = ["$(id)", "`id`", "'", '"', "{{ x }}", "{% if 1 %}", "{#", ";", "&&", "|", "#", ": ", "- ", "*", "!",
          "%", "@", "&a", "*a", "<<", ">", "\u202e", "\u200f", "\u2066", "é", "🚀", " ", "x", ",", "(", ")",
          "=", "AND", "OR", "NOT", "true", "[", "]", "{", "}", "~", "?", "\\", "\ufeff", "\u00a0"]
IMAGE, TAG = "registry.example.com:5000/team/app", "abc1234"


def hostile(min_size: int = 1) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(PIECES), min_size=min_size, max_size=8).map("".join)


def _no_space(text: str) -> str:
    return "".join(c for c in text if not c.isspace()) or "x"


one_line = hostile().filter(lambda v: v.strip())
# (No U+0085: YAML itself reads it as a line break, so the spec would hold a space.)
# The Travis conditions evaluator, like Travis, splits words at ASCII white space only.
branch = hostile().map(lambda v: _no_space(v).replace("\u00a0", "")).filter(lambda v: names.branch(v) is None)
rel_path = hostile().filter(lambda v: names.relative_path(v) is None)
# test.command tokens: hostile text plus the make references a command may use, and $$ for the shell.
# (A bare `$(id)` is a make reference by design, so `$` only comes as $(IMAGE), $(TAG) or $$.)
command_tokens = st.lists(st.sampled_from([p for p in PIECES if "$" not in p] + ["$(IMAGE)", "$(TAG)", "$$HOME"]),
                          max_size=8)
values = st.dictionaries(hostile(), hostile(0) | st.lists(hostile(0), max_size=2), max_size=3)


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    first, second = draw(st.lists(branch, min_size=2, max_size=2, unique=True))
    tokens = draw(command_tokens)
    return {
        "apiVersion": "shipspec/v1", "kind": "App", "name": "app",
        "image": {"repository": IMAGE, "dockerfile": draw(rel_path), "context": draw(rel_path)},
        "test": {"command": "echo " + "".join(tokens) + " end"},
        "charts": {"repo": "git@host:" + _no_space(draw(hostile())), "checkout": "../charts"},
        "argocd": {"syncOptions": draw(st.lists(one_line, max_size=2)), "notify": {"slack": draw(one_line)}},
        "environments": [
            {"name": "dev", "server": "https://k8s.example/" + _no_space(draw(hostile())), "values": draw(values)},
            {"name": "prod"},
        ],
        "branches": {first: {"deploy": ["dev"], "propose": ["prod"]}, second: {"deploy": ["dev"]}},
        "_tokens": tokens,
    }


def load(data: dict[str, Any]) -> LoadedSpec:
    text = yaml.safe_dump({k: v for k, v in data.items() if k != "_tokens"}, allow_unicode=True, sort_keys=False)
    return LoadedSpec(validate(parse_document(text.encode("utf-8"), "shipspec.yaml")), Path("shipspec.yaml"),
                      text.encode("utf-8"), "shipspec.yaml")


def expected_application(data: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    argocd = data["argocd"]
    triggers = ["on-sync-succeeded", "on-sync-failed", "on-health-degraded"]
    policy: dict[str, Any] = {"automated": {"prune": False, "selfHeal": False}}
    if argocd["syncOptions"]:
        policy["syncOptions"] = argocd["syncOptions"]
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {
            "name": f"app-{env['name']}", "namespace": "argocd", "labels": {"app": "app", "env": env["name"]},
            "annotations": {f"notifications.argoproj.io/subscribe.{t}.slack": argocd["notify"]["slack"] for t in triggers},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {"repoURL": data["charts"]["repo"], "targetRevision": "master", "path": "charts/app",
                       "helm": {"releaseName": "app", "valueFiles": [f"values.{env['name']}.yaml"]}},
            "destination": {"server": env.get("server", "https://kubernetes.default.svc"), "namespace": "app"},
            "syncPolicy": policy,
        },
    }


def _sh_reading(text: str) -> tuple[str | None, bool]:
    """How sh reads the end of `text`: the quote still open, and whether a backslash escapes what follows."""
    quote, i = None, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and quote != "'":
            if i + 1 == len(text):
                return quote, True
            i += 2
            continue
        if char in "'\"" and quote in (None, char):
            quote = None if quote else char
        i += 1
    return quote, False


def _expected_command(tokens: list[str]) -> str:
    # $(TAG) is the checked tag, double-quoted unless sh already reads it quoted (or escaped).
    command = "echo "
    for token in tokens:
        if token == "$(TAG)":
            quote, escaped = _sh_reading(command)
            command += TAG if quote or escaped else f'"{TAG}"'
        else:
            command += {"$(IMAGE)": IMAGE, "$$HOME": "$HOME"}.get(token, token)
    return command + " end"


def expected_make(data: dict[str, Any]) -> dict[str, list[list[str]]]:
    image = data["image"]
    command = _expected_command(data["_tokens"])
    return {
        "docker-build": [["docker", "build", "--file", image["dockerfile"], "--tag", f"{IMAGE}:{TAG}", image["context"]]],
        "test": [["<raw>", command]],
        "dev-commit": [["shipspec", "promote", "dev", "--tag", TAG]],
        "prod-pr": [["shipspec", "promote", "prod", "--tag", TAG, "--pr"]],
    }


def assert_make(makefile: str, data: dict[str, Any]) -> None:
    expected = expected_make(data)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Makefile").write_text(makefile, encoding="utf-8")
        proc = _run([require_tool("make"), "--no-print-directory", "-n", *expected, f"TAG={TAG}"], cwd=Path(tmp),
                    env=_make_env())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")[:-1]  # not splitlines(): U+0085 is no line break to make or sh
    raw = lines[1]  # test: a command by design, run verbatim on one line with the make references expanded
    assert raw == expected["test"][0][1]
    assert [shlex.split(line) for line in lines[:1] + lines[2:]] == [
        cmd for target, commands in expected.items() if target != "test" for cmd in commands]


def assert_travis(travis: dict[str, Any], data: dict[str, Any]) -> None:
    jobs = {job["name"]: job for job in travis["jobs"]["include"]}
    first, second = data["branches"]
    assert set(jobs) == {"build, test, scan", f"release {first}", f"release {second}"}
    assert jobs[f"release {first}"]["script"] == ["make docker-build test docker-push dev-commit prod-pr"]
    for name, context in [(first, "push"), (second, "push"), (first, "pull_request"), ("unmapped-x", "push")]:
        running = [job for job, body in jobs.items() if evaluate(body["if"], {"type": context, "branch": name, "tag": ""})]
        wanted = f"release {name}" if context == "push" and name != "unmapped-x" else "build, test, scan"
        assert running == [wanted], (name, context, running)


@settings(max_examples=examples(30))
@given(specs())
def test_hostile_text_keeps_every_file_structure(data: dict[str, Any]) -> None:
    require_tool("make")
    rendered = render(load(data), {env["name"]: "0123456" for env in data["environments"]})
    for env in data["environments"]:
        values = yaml.safe_load(rendered[Output("charts", f"charts/app/values.{env['name']}.yaml")])
        assert values == {"image": {"repository": IMAGE, "tag": "0123456"}, **env.get("values", {})}
        application = yaml.safe_load(rendered[Output("charts", f"argocd/app-{env['name']}.yaml")])
        assert application == expected_application(data, env)
    assert_travis(yaml.safe_load(rendered[Output("app", ".travis.yml")]), data)
    assert_make(rendered[Output("app", "Makefile")], data)


def test_the_strategy_reaches_the_dangerous_characters() -> None:
    # The filters must not quietly drop what the property is about.
    for value in ["$(id)", "`id`", "'\"", "{{x}}", ";|&", "#x"]:
        assert names.branch(value) is None and names.relative_path(value) is None, value


def test_a_line_break_is_refused_wherever_it_could_split_a_line() -> None:
    base = {"apiVersion": "shipspec/v1", "kind": "App", "name": "app", "image": {"repository": "a/b"},
            "charts": {"repo": "git@h:o/c.git"}}
    for field, value in [("test", {"command": "make x\nrm -rf /"}), ("argocd", {"syncOptions": ["a\nb: c"]}),
                         ("argocd", {"notify": {"slack": "a\rb"}}), ("image", {"repository": "a/b", "context": "a\nb"}),
                         ("branches", {"a\nb": {"deploy": ["dev"]}}), ("charts", {"repo": "git@h:o/c\n.git"})]:
        text = yaml.safe_dump({**base, field: value}).encode("utf-8")
        try:
            validate(parse_document(text, "shipspec.yaml"))
        except Exception as exc:  # InvalidSpec, with a located problem
            assert type(exc).__name__ == "InvalidSpec" and "shipspec.yaml:" in str(exc), exc
        else:
            raise AssertionError(f"{field}: a line break was accepted")
