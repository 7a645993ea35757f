"""The GitHub Actions simulator (tests/ci_sim/github.py): SPEC's table on today's generated workflow,
and each emulated semantic on a small hand-written workflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sim import github
from ci_sim.common import is_shallow
from ci_sim.repos import SourceRepo, sample_repo

SECRETS = {"DOCKER_USER": "ci", "DOCKER_PASS": "pass", "CHARTS_TOKEN": "token"}
JOBS = ("build, test, scan", "release dev", "release staging", "release master")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SourceRepo:
    repo = sample_repo("github-actions", tmp_path_factory.mktemp("gh") / "src")
    repo.checkout("dev")
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.commit("feature", {"code.txt": "x\n"})
    repo.checkout("master")
    return repo


def run_sample(repo: SourceRepo, event: github.Event, tmp_path: Path) -> github.Run:
    return github.simulate(repo.path, repo.path / ".github/workflows/shipspec.yml", event, root=tmp_path,
                           secrets=SECRETS)


@pytest.mark.parametrize(("make_event", "job", "targets"), [
    (lambda p: github.pull_request(p, "feature/x", "dev"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: github.push(p, "feature/x"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: github.push(p, "dev", "master"), "release dev", "docker-build test docker-push dev-commit stag-pr"),
    (lambda p: github.push(p, "staging", "master"), "release staging", "docker-build test docker-push stag-commit"),
    (lambda p: github.schedule(p), "release staging", "docker-build test docker-push stag-commit"),
    (lambda p: github.push(p, "master", "master"), "release master",
     "docker-build test docker-push stag-commit prod-pr"),
], ids=["pull-request", "push-other", "push-dev", "push-staging", "schedule", "push-master"])
def test_the_generated_workflow_runs_the_job_of_spec_table(sample: SourceRepo, tmp_path: Path, make_event,
                                                           job: str, targets: str) -> None:
    run = run_sample(sample, make_event(sample.path), tmp_path)
    assert run.created and run.status == "success", [(j.name, j.log) for j in run.jobs if j.result == "failure"]
    assert run.results() == {name: "success" if name == job else "skipped" for name in JOBS}
    releases = [("docker-login",)] if job.startswith("release") else []
    assert run.job(job).make_targets() == [(".", argv) for argv in [*releases, tuple(targets.split())]]
    assert not run.calls("docker")  # make is a stub: nothing reaches docker through it


def test_checkouts_are_made_as_actions_checkout_makes_them(sample: SourceRepo, tmp_path: Path) -> None:
    pr = run_sample(sample, github.pull_request(sample.path, "feature/x", "dev"), tmp_path / "pr")
    work = pr.job("build, test, scan").workspace
    assert is_shallow(work)  # fetch-depth 1: one commit, the merge commit of refs/pull/1/merge
    assert github.git(work, "rev-list", "--count", "HEAD") == "1"
    assert github.git(work, "log", "-1", "--format=%s") .startswith("Merge ")
    push = run_sample(sample, github.push(sample.path, "dev", "master"), tmp_path / "push")
    work = push.job("release dev").workspace
    assert not is_shallow(work)  # fetch-depth 0: every branch and tag
    assert github.git(work, "rev-parse", "--abbrev-ref", "HEAD") == "dev"
    assert "origin/master" in github.git(work, "branch", "-r")


def workflow(tmp_path: Path, text: str) -> tuple[SourceRepo, Path]:
    repo = SourceRepo(tmp_path / "src")
    path = repo.path / ".github/workflows/ci.yml"
    repo.commit("first", {".github/workflows/ci.yml": text, "app/README": "a\n", "lib/x.txt": "x\n"})
    return repo, path


def test_skipped_needs_always_and_failure(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, """\
on: push
jobs:
  broken:
    runs-on: ubuntu-latest
    steps:
      - run: make broken && exit 1
  after:
    needs: broken
    runs-on: ubuntu-latest
    steps:
      - run: make after
  chained:
    needs: after
    runs-on: ubuntu-latest
    steps:
      - run: make chained
  verdict:
    needs: [broken, after]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ needs.broken.result }} ${{ needs.after.result }}" > verdict; make "$(cat verdict)"
  on-failure:
    needs: chained
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: make on-failure
""")
    run = github.simulate(repo.path, path, github.push(repo.path, "master"), root=tmp_path / "run")
    assert run.results() == {"broken": "failure", "after": "skipped", "chained": "skipped", "verdict": "success",
                             "on-failure": "success"}
    assert run.make_targets() == [("broken", ".", ("broken",)), ("verdict", ".", ("failure skipped",)),
                                  ("on-failure", ".", ("on-failure",))]
    assert run.status == "failure"


def test_outputs_fromjson_matrix_env_and_working_directory(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, """\
on: push
env:
  LEVEL: workflow
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      apps: ${{ steps.list.outputs.apps }}
      note: ${{ steps.list.outputs.note }}
    steps:
      - id: list
        run: |
          echo 'apps=["app", "lib"]' >> "$GITHUB_OUTPUT"
          { echo 'note<<EOF'; echo 'two'; echo 'lines'; echo 'EOF'; } >> "$GITHUB_OUTPUT"
          echo 'FROM_ENV=set by plan' >> "$GITHUB_ENV"
          echo '### planned' >> "$GITHUB_STEP_SUMMARY"
      - run: make "$FROM_ENV" "$LEVEL"
  build:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      matrix:
        app: ${{ fromJSON(needs.plan.outputs.apps) }}
        include:
          - app: lib
            extra: yes
    defaults:
      run:
        working-directory: ${{ matrix.app }}
    steps:
      - uses: actions/checkout@v4
      - run: make build "${{ matrix.extra }}" "${{ needs.plan.outputs.note }}"
        shell: bash
""")
    run = github.simulate(repo.path, path, github.push(repo.path, "master"), root=tmp_path / "run")
    assert run.results() == {"plan": "success", "build (app)": "success", "build (lib, yes)": "success"}
    assert run.job("plan").outputs == {"apps": '["app", "lib"]', "note": "two\nlines"}
    assert run.job("plan").make_targets() == [(".", ("set by plan", "workflow"))]
    assert run.job("build (lib, yes)").matrix == {"app": "lib", "extra": "yes"}
    assert run.make_targets()[1:] == [("build (app)", "app", ("build", "", "two\nlines")),
                                      ("build (lib, yes)", "lib", ("build", "yes", "two\nlines"))]
    assert run.summaries == ["### planned\n"]


def test_an_empty_matrix_fails_the_job_and_skips_what_needs_it(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, """\
on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      apps: '[]'
    steps:
      - run: "true"
  build:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      matrix:
        app: ${{ fromJSON(needs.plan.outputs.apps) }}
    steps:
      - run: make build
  guarded:
    needs: plan
    if: needs.plan.outputs.apps != '[]'
    runs-on: ubuntu-latest
    strategy:
      matrix:
        app: ${{ fromJSON(needs.plan.outputs.apps) }}
    steps:
      - run: make guarded
  after:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: make after
""")
    run = github.simulate(repo.path, path, github.push(repo.path, "master"), root=tmp_path / "run")
    assert run.results() == {"plan": "success", "build": "failure", "guarded": "skipped", "after": "skipped"}
    assert "Matrix vector 'app' does not contain any values" in run.job("build").error
    assert not run.calls()


def test_step_if_failure_and_continue_on_error(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, """\
on: push
jobs:
  steps:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
        continue-on-error: true
      - id: fails
        run: false; make never
      - run: make skipped-after-failure
      - if: failure() && steps.fails.outcome == 'failure'
        run: make on-failure
      - if: always()
        run: make always
""")
    run = github.simulate(repo.path, path, github.push(repo.path, "master"), root=tmp_path / "run")
    assert run.results() == {"steps": "failure"}
    assert run.job("steps").make_targets() == [(".", ("on-failure",)), (".", ("always",))]


@pytest.mark.parametrize(("on", "event", "runs"), [
    ("push: {branches: [master]}", "push-master", True),
    ("push: {branches: [master]}", "push-dev", False),
    ("push: {branches: ['releases/**', '!releases/old']}", "push-dev", False),
    ("push: {paths: ['lib/**']}", "push-dev", True),
    ("push: {paths: ['app/**']}", "push-dev", False),
    ("push: {paths-ignore: ['lib/**']}", "push-dev", False),
    ("pull_request: {branches: [master], paths: ['lib/*.txt']}", "pr", True),
    ("pull_request: {branches: [dev]}", "pr", False),
    ("schedule: [{cron: '0 1 * * *'}]", "schedule", True),
    ("pull_request:", "push-master", False),
    ("pull_request:", "pr-closed", False),
    ("pull_request: {types: [closed]}", "pr-closed", True),
])
def test_on_filters(tmp_path: Path, on: str, event: str, runs: bool) -> None:
    repo, path = workflow(tmp_path, f"on:\n  {on}\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: make one\n")
    before = repo.sha()
    repo.git("checkout", "-q", "-b", "dev")
    repo.commit("lib change", {"lib/x.txt": "y\n"})
    events = {"push-master": lambda: github.push(repo.path, "master", before),
              "push-dev": lambda: github.push(repo.path, "dev", before),
              "pr": lambda: github.pull_request(repo.path, "dev", "master"),
              "pr-closed": lambda: github.pull_request(repo.path, "dev", "master", action="closed"),
              "schedule": lambda: github.schedule(repo.path)}
    run = github.simulate(repo.path, path, events[event](), root=tmp_path / "run")
    assert run.created == runs, run.reason
    assert run.ran() == (["one"] if runs else [])


def test_a_new_branch_diffs_from_the_parent_of_its_deepest_new_commit(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, "on:\n  push:\n    paths: ['lib/**']\njobs:\n  one:\n    runs-on: ubuntu-latest\n"
                                    "    steps:\n      - run: make one\n")
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("lib", {"lib/x.txt": "new\n"})
    repo.commit("app", {"app/README": "b\n"})
    assert github.simulate(repo.path, path, github.push(repo.path, "topic"), root=tmp_path / "a").created
    repo.git("checkout", "-q", "-b", "topic2", "master")
    repo.commit("app only", {"app/README": "c\n"})
    assert not github.simulate(repo.path, path, github.push(repo.path, "topic2"), root=tmp_path / "b").created


def test_unknown_actions_and_parser_errors_fail_loudly(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, "on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - uses: someone/deploy@v1\n")
    run = github.simulate(repo.path, path, github.push(repo.path, "master"), root=tmp_path / "a")
    assert run.results() == {"one": "failure"} and "does not emulate the action someone/deploy@v1" in run.job("one").error
    path.write_text("on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    needs: nowhere\n    steps: []\n")
    with pytest.raises(github.SimulationError, match="parser refuses"):
        github.simulate(repo.path, path, github.push(repo.path, "master"), root=tmp_path / "b")


def test_matrix_include_and_exclude_follow_the_documented_example() -> None:
    # docs.github.com workflow-syntax #example-expanding-configurations
    matrix = {"fruit": ["apple", "pear"], "animal": ["cat", "dog"],
              "include": [{"color": "green"}, {"color": "pink", "animal": "cat"}, {"fruit": "apple", "shape": "circle"},
                          {"fruit": "banana"}, {"fruit": "banana", "animal": "cat"}]}
    assert github.expand_matrix(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert github.expand_matrix({"os": ["a", "b"], "v": [1, 2], "exclude": [{"os": "a", "v": 2}]}) == [
        {"os": "a", "v": 1}, {"os": "b", "v": 1}, {"os": "b", "v": 2}]
    with pytest.raises(github.SimulationError, match="at least one vector"):
        github.expand_matrix({"include": []})
    with pytest.raises(github.SimulationError, match="more than GitHub's 256"):
        github.expand_matrix({"a": list(range(257))})


GATED = """\
on: [push, pull_request]
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      apps: ${{ steps.affected.outputs.apps }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - id: affected
        env:
          BASE: ${{ github.event.before || github.event.pull_request.base.sha }}
        run: |
          git diff --name-only "$BASE" HEAD -- services | cut -d/ -f2 | sort -u \\
            | python -c 'import json, sys; print("apps=" + json.dumps(sys.stdin.read().split()))' >> "$GITHUB_OUTPUT"
  build:
    needs: plan
    if: needs.plan.outputs.apps != '[]'
    runs-on: ubuntu-latest
    strategy:
      matrix:
        app: ${{ fromJSON(needs.plan.outputs.apps) }}
    steps:
      - uses: actions/checkout@v4
      - run: make build
        working-directory: services/${{ matrix.app }}
  shipspec:
    needs: [plan, build]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "${{ needs.plan.result }}" = success
          test "${{ contains(needs.*.result, 'failure') || contains(needs.*.result, 'cancelled') }}" = false
"""


@pytest.mark.parametrize(("touch", "fail", "built", "verdict"), [
    ("services/api/main.py", False, ["api"], "success"),
    ("README.md", False, [], "success"),
    ("services/web/main.py", True, ["web"], "failure"),
])
def test_a_final_gate_job_is_the_verdict_over_a_fromjson_matrix(tmp_path: Path, touch: str, fail: bool,
                                                                 built: list[str], verdict: str) -> None:
    repo = SourceRepo(tmp_path / "src")
    repo.commit("first", {".github/workflows/ci.yml": GATED, "services/api/main.py": "1\n",
                          "services/web/main.py": "1\n", "README.md": "r\n"})
    before = repo.sha()
    repo.commit("change", {touch: "2\n"})
    stubs = github.Stubs(tmp_path / "stubs")
    if fail:
        stubs.fail.append({"tool": "make", "word": "build", "cwd": "services/web"})
    run = github.simulate(repo.path, repo.path / ".github/workflows/ci.yml", github.push(repo.path, "master", before),
                          root=tmp_path / "run", stubs=stubs)
    assert run.job("plan").outputs == {"apps": json.dumps(built)}
    assert [(cwd, argv) for _, cwd, argv in run.make_targets()] == [(f"services/{app}", ("build",)) for app in built]
    if not built:
        assert run.job("build").result == "skipped"  # skipped, not an empty matrix that fails
    assert run.job("shipspec").result == verdict


def test_documented_limits_of_path_filters_and_file_size(tmp_path: Path) -> None:
    repo, path = workflow(tmp_path, "on:\n  push:\n    paths: ['zz/**']\njobs:\n  one:\n    runs-on: ubuntu-latest\n"
                                    "    steps:\n      - run: make one\n")
    before = repo.sha()
    # 300 files sort before zz/: the one matching file is past the first 300, so the workflow does not run.
    repo.commit("many", {**{f"a/{n:03}.txt": "x\n" for n in range(300)}, "zz/x.txt": "x\n"})
    assert not github.simulate(repo.path, path, github.push(repo.path, "master", before), root=tmp_path / "a").created
    repo.commit("few", {"a/000.txt": "y\n", "zz/x.txt": "y\n"})
    assert github.simulate(repo.path, path, github.push(repo.path, "master", "HEAD~1"), root=tmp_path / "b").created
    path.write_text(path.read_text() + "#" * (500 * 1024))
    run = github.simulate(repo.path, path, github.push(repo.path, "master", "HEAD~1"), root=tmp_path / "c")
    assert not run.created and "larger than 500 KB" in run.reason
