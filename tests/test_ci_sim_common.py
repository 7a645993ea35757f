"""What the three simulators share: the stubs (failures on demand, the real make), and the checkout
helpers each provider module offers for tests that need a CI-made folder without running a pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sim import github, gitlab, travis
from ci_sim.common import Stubs, git, is_shallow
from ci_sim.repos import SourceRepo, sample_repo


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> SourceRepo:
    repo = SourceRepo(tmp_path_factory.mktemp("deep") / "src")
    for number in range(60):
        repo.commit(f"commit {number}", {"n.txt": str(number)})
    repo.branch("dev", "HEAD~5")
    repo.git("checkout", "-q", "-b", "topic", "dev")
    repo.commit("topic", {"topic.txt": "t\n"})
    repo.checkout("master")
    return repo


def test_each_provider_checks_out_as_deep_as_its_runner(deep: SourceRepo, tmp_path: Path) -> None:
    gh = github.checkout(deep.path, github.push(deep.path, "master"), tmp_path / "gh")
    assert git(gh, "rev-list", "--count", "HEAD") == "1" and git(gh, "branch", "--show-current") == "master"
    full = github.checkout(deep.path, github.push(deep.path, "master"), tmp_path / "gh0", fetch_depth=0)
    assert not is_shallow(full) and "origin/dev" in git(full, "branch", "-r")
    pr = github.checkout(deep.path, github.pull_request(deep.path, "topic", "master"), tmp_path / "ghpr")
    assert git(pr, "rev-parse", "HEAD") == deep.sha("refs/pull/1/merge") and git(pr, "rev-list", "--count", "HEAD") == "1"
    gl = gitlab.checkout(deep.path, gitlab.merge_request(deep.path, "topic", "master"), tmp_path / "gl")
    assert git(gl, "rev-list", "--count", "HEAD") == "20" and git(gl, "branch", "-r") == ""
    assert git(gl, "rev-parse", "HEAD") == deep.sha("topic")
    tr = tmp_path / "tr"
    travis.checkout(deep.path, travis.push(deep.path, "dev"), tr)
    assert git(tr, "rev-list", "--count", "HEAD") == "50" and git(tr, "rev-parse", "HEAD") == deep.sha("dev")


def test_stubs_fail_on_demand_and_can_run_the_real_make(tmp_path: Path) -> None:
    repo = sample_repo("github-actions", tmp_path / "src")
    repo.git("checkout", "-q", "-b", "feature")
    workflow = repo.path / ".github/workflows/shipspec.yml"
    stubs = Stubs(tmp_path / "stubs", real_make=True)
    run = github.simulate(repo.path, workflow, github.push(repo.path, "feature"), root=tmp_path / "a", stubs=stubs)
    build = run.job("build, test, scan")
    assert build.result == "success"
    # The real Makefile ran, so its docker commands reached the docker stub.
    assert [call.argv[0] for call in build.calls if call.tool == "docker"] == ["build", "run"]
    stubs.fail.append({"tool": "docker", "word": "build"})
    run = github.simulate(repo.path, workflow, github.push(repo.path, "feature"), root=tmp_path / "b", stubs=stubs)
    assert run.job("build, test, scan").result == "failure" and run.status == "failure"
    assert "fails (as the test asked)" in run.job("build, test, scan").log


def test_actions_checkout_ref_input_names_a_branch_or_a_commit(deep: SourceRepo, tmp_path: Path) -> None:
    event = github.push(deep.path, "master")
    branch = github.checkout(deep.path, event, tmp_path / "branch", ref="dev")
    assert git(branch, "branch", "--show-current") == "dev" and git(branch, "rev-parse", "HEAD") == deep.sha("dev")
    sha = deep.sha("HEAD~7")
    commit = github.checkout(deep.path, event, tmp_path / "sha", ref=sha)
    assert git(commit, "rev-parse", "HEAD") == sha and git(commit, "branch", "--show-current") == ""
    assert git(commit, "rev-list", "--count", "HEAD") == "1"
    qualified = github.checkout(deep.path, event, tmp_path / "qualified", ref="refs/heads/topic", fetch_depth=0)
    assert git(qualified, "branch", "--show-current") == "topic" and not is_shallow(qualified)
