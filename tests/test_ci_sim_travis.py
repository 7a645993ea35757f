"""The Travis CI simulator (tests/ci_sim/travis.py): SPEC's table on today's generated .travis.yml, and
each emulated semantic on a small hand-written one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sim import travis
from ci_sim.common import git, is_shallow
from ci_sim.repos import SourceRepo, sample_repo

SECRETS = {"GITHUB_TOKEN": "ghs-token", "DOCKER_USER": "ci", "DOCKER_PASS": "pass"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SourceRepo:
    repo = sample_repo("myapp", tmp_path_factory.mktemp("travis") / "src")
    repo.checkout("dev")
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.commit("feature", {"code.txt": "x\n"})
    repo.checkout("master")
    return repo


@pytest.mark.parametrize(("make_event", "job", "targets"), [
    (lambda p: travis.pull_request(p, "feature/x", "dev", fork=True), "build, test, scan",
     "docker-build test docker-scan"),
    (lambda p: travis.push(p, "feature/x", "dev"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: travis.push(p, "dev", "master"), "release dev", "docker-build test docker-push dev-commit stag-pr"),
    (lambda p: travis.push(p, "staging", "master"), "release staging", "docker-build test docker-push stag-commit"),
    (lambda p: travis.cron(p, "staging"), "release staging", "docker-build test docker-push stag-commit"),
    (lambda p: travis.cron(p, "dev"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: travis.push(p, "master", "master"), "release master",
     "docker-build test docker-push stag-commit prod-pr"),
], ids=["pull-request", "push-other", "push-dev", "push-staging", "cron-staging", "cron-dev", "push-master"])
def test_the_generated_build_runs_the_job_of_spec_table(sample: SourceRepo, tmp_path: Path, make_event, job: str,
                                                        targets: str) -> None:
    run = travis.simulate(sample.path, sample.path / ".travis.yml", make_event(sample.path), root=tmp_path,
                          secrets=SECRETS)
    assert run.created and run.status == "success", [(j.name, j.log) for j in run.jobs]
    assert run.results() == {job: "success"}
    releases = [("docker-login",)] if job.startswith("release") else []
    assert run.job(job).make_targets() == [(".", argv) for argv in [*releases, tuple(targets.split())]]


def test_a_fork_pull_request_gets_no_secret_and_checks_out_the_merge_commit(sample: SourceRepo, tmp_path: Path) -> None:
    event = travis.pull_request(sample.path, "feature/x", "dev", 7, fork=True)
    run = travis.simulate(sample.path, sample.path / ".travis.yml", event, root=tmp_path, secrets=SECRETS)
    job = run.job("build, test, scan")
    assert "GITHUB_TOKEN" not in job.env and job.env["TRAVIS_SECURE_ENV_VARS"] == "false"
    assert job.env["TRAVIS_PULL_REQUEST"] == "7" and job.env["TRAVIS_BRANCH"] == "dev"
    assert job.env["TRAVIS_PULL_REQUEST_BRANCH"] == "feature/x"
    assert job.env["TRAVIS_COMMIT_RANGE"] == f"{sample.sha('dev')}...{sample.sha('feature/x')}"
    assert git(job.workspace, "rev-parse", "HEAD") == event.commit == sample.sha("refs/pull/7/merge")
    # The generated file has `git: depth: false`: the whole history.
    assert not is_shallow(job.workspace)


def project(tmp_path: Path, text: str, commits: int = 0) -> SourceRepo:
    repo = SourceRepo(tmp_path / "src")
    repo.commit("first", {".travis.yml": text})
    for number in range(commits):
        repo.commit(f"commit {number}", {"n.txt": str(number)})
    return repo


def simulate(repo: SourceRepo, event: travis.Event, root: Path, **kwargs) -> travis.Run:
    return travis.simulate(repo.path, repo.path / ".travis.yml", event, root=root, **kwargs)


def test_the_clone_is_50_commits_deep_and_variables_describe_the_push(tmp_path: Path) -> None:
    repo = project(tmp_path, "script: [make \"$TRAVIS_BRANCH\" \"$TRAVIS_EVENT_TYPE\" \"$TRAVIS_PULL_REQUEST\"]\n",
                   commits=60)
    before = repo.sha("HEAD~3")
    run = simulate(repo, travis.push(repo.path, "master", before), tmp_path / "run")
    job = run.jobs[0]
    assert is_shallow(job.workspace) and git(job.workspace, "rev-list", "--count", "HEAD") == "50"
    assert job.make_targets() == [(".", ("master", "push", "false"))]
    assert job.env["TRAVIS_COMMIT"] == repo.sha() and job.env["TRAVIS_COMMIT_RANGE"] == f"{before}...{repo.sha()}"
    assert simulate(repo, travis.push(repo.path, "master"), tmp_path / "new").jobs[0].env["TRAVIS_COMMIT_RANGE"] == ""


STAGES = """\
stages:
  - test
  - name: deploy
    if: branch = master
env:
  global:
    - PLAIN=plain
    - secure: "encrypted"
install:
  - export FROM_INSTALL=yes
jobs:
  allow_failures:
    - name: flaky
  include:
    - name: unit
      script:
        - make unit "$FROM_INSTALL" "$PLAIN" "$SECRET"
        - test "$FAIL_UNIT" = 0
        - make after-failure-in-script
    - name: flaky
      script: [make flaky, "false"]
    - name: pr-only
      if: type = pull_request
      script: [make pr-only]
    - stage: deploy
      name: release
      script: [make release]
      deploy:
        provider: script
        script: make deploy
        on:
          branch: master
    - name: second-deploy-job
      before_script: [make setup, "false", make never]
      script: [make never]
"""


@pytest.mark.parametrize("fail", ["0", "1"])
def test_stages_conditions_phases_and_deploy(tmp_path: Path, fail: str) -> None:
    repo = project(tmp_path, STAGES)
    run = simulate(repo, travis.push(repo.path, "master"), tmp_path / "run",
                   secrets={"SECRET": "s", "FAIL_UNIT": fail})
    if fail == "1":
        assert run.results() == {"unit": "failure", "flaky": "failure", "release": "canceled",
                                 "second-deploy-job": "canceled"}
        # A failing script command fails the job, and the next commands still run.
        assert run.job("unit").make_targets() == [(".", ("unit", "yes", "plain", "s")),
                                                  (".", ("after-failure-in-script",))]
        assert run.status == "failure"
        return
    assert run.results() == {"unit": "success", "flaky": "failure", "release": "success",
                             "second-deploy-job": "failure"}
    assert run.job("release").make_targets() == [(".", ("release",)), (".", ("deploy",))]
    assert run.job("second-deploy-job").error == "errored"  # before_script stops the job at once
    assert run.job("second-deploy-job").make_targets() == [(".", ("setup",))]
    assert run.status == "failure"


def test_stage_and_build_conditions_skip_silently(tmp_path: Path) -> None:
    repo = project(tmp_path, STAGES.replace("name: flaky\n      script: [make flaky, \"false\"]",
                                            "name: flaky\n      script: [make flaky]"))
    repo.branch("dev")
    run = simulate(repo, travis.push(repo.path, "dev"), tmp_path / "dev", secrets={"FAIL_UNIT": "0"})
    assert run.results() == {"unit": "success", "flaky": "success"}  # the deploy stage is only for master
    pr = simulate(repo, travis.pull_request(repo.path, "dev", "master"), tmp_path / "pr", secrets={"FAIL_UNIT": "0"})
    assert "pr-only" in pr.results()
    # A pull request into master is no push to it: its TRAVIS_BRANCH is master, yet it never deploys.
    assert pr.job("release").make_targets() == [(".", ("release",))]
    gated = project(tmp_path / "gated", "if: branch = master AND type = push\nscript: [make one]\n")
    gated.branch("dev")
    assert not simulate(gated, travis.push(gated.path, "dev"), tmp_path / "g").created
    assert simulate(gated, travis.push(gated.path, "master"), tmp_path / "m").ran() == ["job 1"]


def test_job_env_and_a_matrix_env_is_refused(tmp_path: Path) -> None:
    repo = project(tmp_path, "env:\n  global:\n    - A=global B=\"two words\"\njobs:\n  include:\n"
                             "    - name: one\n      env: C=job\n      script: [make \"$A\" \"$B\" \"$C\"]\n")
    run = simulate(repo, travis.push(repo.path, "master"), tmp_path / "run")
    assert run.job("one").make_targets() == [(".", ("global", "two words", "job"))]
    matrix = project(tmp_path / "matrix", "env:\n  - A=1\n  - A=2\nscript: [make]\n")
    with pytest.raises(travis.SimulationError, match="matrix"):
        simulate(matrix, travis.push(matrix.path, "master"), tmp_path / "m")
