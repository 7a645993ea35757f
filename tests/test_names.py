"""Name rules, compared with the tools that have the final word where we can run them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yaml

from shipspec.spec import names
from shipspec.errors import InvalidSpec
from shipspec.spec.loader import parse_document
from shipspec.render.core import render
from shipspec.spec.validation import LoadedSpec, validate
from validators import validate_argocd_application

BRANCHES = [
    "master", "main", "dev", "staging", "feature/x", "release/v1.2.3", "a-b_c", "UPPER", "ünïcödé", "x@y",
    "a.b", "v1.0", "a/b/c", "@", "HEAD", "-x", "x-", "a..b", "a//b", "/a", "a/", "a.", ".a", "a/.b",
    "a.lock", "a/b.lock", "a.lock/b", "a@{b", "a b", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b",
    "a\tb", "a\x7fb", "", "refs/heads/x", "x.lock.y", "a/-b", "@{", "a@", "..", "...", "a/.", "lock",
    ".lock", "foo.locks", "feature/@", "HEAD/x", "x/HEAD", "#hash", "a{b}", "a$b", "a!b", "a'b", "a\"b",
]


def git_accepts(name: str, cwd: Path) -> bool:
    # Outside a repository, so that `@` is not expanded to the current branch.
    result = subprocess.run(
        ["git", "check-ref-format", "--branch", name], cwd=cwd, capture_output=True, check=False
    )
    return result.returncode == 0


@pytest.mark.parametrize("name", BRANCHES, ids=repr)
def test_branch_matches_git(name: str, tmp_path: Path) -> None:
    assert (names.branch(name) is None) == git_accepts(name, tmp_path)


def test_branch_reasons_are_specific() -> None:
    assert "'..'" in (names.branch("a..b") or "")
    assert "'-'" in (names.branch("-x") or "")
    assert ".lock" in (names.branch("a.lock") or "")


IMAGES_OK = [
    "nginx", "library/nginx", "myrepo/myapp", "docker.io/library/nginx",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app", "gcr.io/my-project/app",
    "europe-docker.pkg.dev/project/repo/app", "quay.io/org/app", "ghcr.io/org/app",
    "registry.example.com:5000/team/sub/app", "localhost:5000/app", "localhost/app", "my-registry:5000/app",
    "a/b/c/d/e", "my_org/my__app", "app.name/x", "a-b--c/d", "[::1]:5000/app", "[2001:db8::1]/app",
]
IMAGES_BAD = [
    "", "MyApp", "myrepo/MyApp", "myrepo/myapp:1.0", "myrepo/myapp@sha256:" + "0" * 64, "nginx:latest",
    "registry.example.com:port/app", "-registry.com/app", "a//b", "a/b/", "/a", "a_/b", "a/_b", "a/b-",
    "with space/app", "a/b.", "UPPER.com/app/Path", "x" * 256, "a/.b", "a/b__-c",
]


@pytest.mark.parametrize("ref", IMAGES_OK)
def test_image_accepted(ref: str) -> None:
    assert names.image_repository(ref) is None


@pytest.mark.parametrize("ref", IMAGES_BAD)
def test_image_rejected(ref: str) -> None:
    assert names.image_repository(ref) is not None


GIT_OK = [
    "git@github.com:myorg/charts.git", "github.com:org/repo", "user.name@host.example.com:path/repo",
    "ssh://git@github.com/org/charts.git", "ssh://git@host:2222/org/charts.git",
    "https://github.com/org/charts.git", "https://user@gitlab.example.com/group/sub/charts",
    "file:///srv/git/charts.git",
]
GIT_BAD = [
    "", "github.com/org/charts", "http//x", "ftp://host/repo", "https://", "https:///path", "ssh:///path",
    "git@github.com:", "git@github.com: org/repo", "https://github.com/org/my charts",
    "/srv/git/charts.git", "../charts",
]


@pytest.mark.parametrize("url", GIT_OK)
def test_git_url_accepted(url: str) -> None:
    assert names.git_url(url) is None


@pytest.mark.parametrize("url", GIT_BAD)
def test_git_url_rejected(url: str) -> None:
    assert names.git_url(url) is not None


@pytest.mark.parametrize(
    ("value", "ok"),
    [("a", True), ("a" * 63, True), ("a" * 64, False), ("0abc", True), ("-a", False), ("a-", False),
     ("A", False), ("a_b", False), ("a.b", False), ("", False), ("é", False)],
)
def test_dns_label(value: str, ok: bool) -> None:
    assert (names.dns_label(value) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("charts/myapp", True), (".", True), ("a/./b", True), ("a..b", True), ("/abs", False), ("../x", False),
     ("a/../../x", False), ("a\\b", False), ("C:/x", False), ("", False), ("a\nb", False)],
)
def test_relative_path(value: str, ok: bool) -> None:
    assert (names.relative_path(value) is None) is ok


@pytest.mark.parametrize(
    ("key", "secret"),
    [("password", True), ("dbPassword", True), ("api_token", True), ("clientSecret", True), ("secretKey", True),
     ("AWS_SECRET_ACCESS_KEY", True), ("privateKey", True), ("credentials", True), ("existingSecret", False),
     ("secretName", False), ("tokenTtl", False), ("replicaCount", False), ("passwordSecretRef", False)],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert names.is_secret_key(key) is secret


def test_encrypted() -> None:
    assert names.encrypted("A" * 40 + "==") is None
    for plain in ("hunter2", "DOCKER_PASS=hunter2", "myteam:xoxb-1#builds", "a" * 39, "a b" * 30):
        assert names.encrypted(plain) is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="ab./-@{}~^:?*[\\ .lockHEAD\t", max_size=12))
def test_branch_matches_git_on_random_names(tmp_path: Path, name: str) -> None:
    assert (names.branch(name) is None) == git_accepts(name, tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "https://x-access-token:ghs_abc@github.com/org/charts.git",
        "https://ghp_0123456789abcdef0123456789abcdef0123@github.com/org/charts.git",
        "https://glpat-abcdefabcdef@gitlab.com/org/charts.git",
        "ssh://git:hunter2@example.com/charts.git",
    ],
)
def test_git_url_with_credentials_is_refused(url: str) -> None:
    assert "must not carry credentials" in (names.git_url(url) or "")


def test_paths_never_lead_into_git_metadata() -> None:
    assert names.relative_path(".git/hooks") == "must not lead into a .git folder"
    assert names.relative_path("charts/.git") == "must not lead into a .git folder"
    assert names.relative_path("charts/.github") is None


def test_server_url_with_credentials_is_refused() -> None:
    assert "credentials" in (names.server_url("https://admin:pw@k8s.example.com") or "")
    assert names.server_url("https://k8s.example.com:6443") is None


@pytest.mark.parametrize("length", [46, 47, 48, 63])
def test_a_notify_trigger_is_refused_exactly_when_its_annotation_key_is(length: int) -> None:
    trigger = ("on-sync-" + "x" * 63)[: length - 1] + "y"
    raw = (b"apiVersion: shipspec/v1\nkind: App\nname: a\nimage: {repository: a/b}\ncharts: {repo: 'git@h:o/c.git'}\n"
           b"argocd: {notify: {slack: c, triggers: [%s]}}\n" % trigger.encode())
    doc = parse_document(raw, "shipspec.yaml")
    try:
        spec = validate(doc)
    except InvalidSpec as exc:
        (problem,) = exc.problems
        assert (problem.line, problem.field) == (6, "argocd.notify.triggers[0]") and "API server rejects" in str(problem)
        refused = True
    else:
        refused = False
        rendered = render(LoadedSpec(spec, Path("shipspec.yaml"), raw, "shipspec.yaml"), {"dev": "abc1234"})
        application = next(text for out, text in rendered.items() if out.path == "argocd/a-dev.yaml")
        assert validate_argocd_application(yaml.safe_load(application)) == []
    assert refused == (len("subscribe." + trigger + ".slack") > 63)
