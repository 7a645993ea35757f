"""The GitLab CI simulator (tests/ci_sim/gitlab.py): SPEC's table on today's generated pipeline, and
each emulated semantic on a small hand-written .gitlab-ci.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

import gitlab_rules
from ci_sim import gitlab
from ci_sim.common import git, is_shallow
from ci_sim.repos import SourceRepo, sample_repo

PROJECT_VARIABLES = {"RELEASE_TOKEN": "glpat-release", "DOCKER_USER": "ci", "DOCKER_PASS": "pass"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SourceRepo:
    repo = sample_repo("gitlab-ci", tmp_path_factory.mktemp("gl") / "src")
    repo.checkout("dev")
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.commit("feature", {"code.txt": "x\n"})
    repo.checkout("master")
    return repo


@pytest.mark.parametrize(("make_event", "job", "targets"), [
    (lambda p: gitlab.merge_request(p, "feature/x", "dev"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: gitlab.push(p, "feature/x", "dev"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: gitlab.push(p, "dev", "master"), "release dev", "docker-build test docker-push dev-commit stag-pr"),
    (lambda p: gitlab.push(p, "staging", "master"), "release staging", "docker-build test docker-push stag-commit"),
    (lambda p: gitlab.schedule(p, "staging"), "release staging", "docker-build test docker-push stag-commit"),
    (lambda p: gitlab.schedule(p, "dev"), "build, test, scan", "docker-build test docker-scan"),
    (lambda p: gitlab.push(p, "master", "master"), "release master",
     "docker-build test docker-push stag-commit prod-pr"),
], ids=["merge-request", "push-other", "push-dev", "push-staging", "schedule-staging", "schedule-dev", "push-master"])
def test_the_generated_pipeline_runs_the_job_of_spec_table(sample: SourceRepo, tmp_path: Path, make_event,
                                                           job: str, targets: str) -> None:
    event = make_event(sample.path)
    event.variables.update(PROJECT_VARIABLES)
    run = gitlab.simulate(sample.path, sample.path / ".gitlab-ci.yml", event, root=tmp_path)
    assert run.created and run.status == "success", [(j.name, j.log) for j in run.jobs]
    assert run.results() == {job: "success"}  # a job excluded by rules does not exist
    releases = [("docker-login",)] if job.startswith("release") else []
    assert run.job(job).make_targets() == [(".", argv) for argv in [*releases, tuple(targets.split())]]
    if job.startswith("release"):
        assert run.job(job).env["SHIPSPEC_CHARTS_TOKEN"] == "glpat-release"  # "$RELEASE_TOKEN", expanded
    assert run.job(job).env["TRIVY_CACHE"] == f"{run.job(job).workspace}/.trivy-cache"


def test_a_branch_push_with_an_open_merge_request_runs_no_branch_pipeline(sample: SourceRepo, tmp_path: Path) -> None:
    run = gitlab.simulate(sample.path, sample.path / ".gitlab-ci.yml",
                          gitlab.push(sample.path, "feature/x", "dev", open_merge_requests=True), root=tmp_path)
    assert not run.created and run.jobs == [] and "workflow:rules" in run.reason


def test_checkouts_are_made_as_the_runner_makes_them(sample: SourceRepo, tmp_path: Path) -> None:
    mr = gitlab.simulate(sample.path, sample.path / ".gitlab-ci.yml", gitlab.merge_request(sample.path, "feature/x", "dev"),
                         root=tmp_path / "mr")
    work = mr.job("build, test, scan").workspace
    assert git(work, "branch", "-r") == ""  # no target branch at all (and GIT_DEPTH 20: see the next test)
    assert git(work, "rev-parse", "HEAD") == sample.sha("feature/x")
    push = gitlab.simulate(sample.path, sample.path / ".gitlab-ci.yml", gitlab.push(sample.path, "dev", "master"),
                           root=tmp_path / "push")
    work = push.job("release dev").workspace
    assert not is_shallow(work)  # GIT_DEPTH "0"
    assert {"origin/master", "origin/dev", "origin/staging"} <= set(git(work, "branch", "-r").split())
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD") == "HEAD"  # detached, as the runner leaves it


def test_the_default_git_depth_is_20_and_git_depth_0_is_the_whole_history(tmp_path: Path) -> None:
    repo = project(tmp_path, "shallow:\n  script: [make shallow]\nfull:\n  variables: {GIT_DEPTH: 0}\n"
                             "  script: [make full]\n")
    for number in range(25):
        repo.commit(f"commit {number}", {"n.txt": str(number)})
    run = simulate(repo, gitlab.push(repo.path, "master", "HEAD~1"), tmp_path / "run")
    assert is_shallow(run.job("shallow").workspace)
    assert git(run.job("shallow").workspace, "rev-list", "--count", "HEAD") == "20"
    assert git(run.job("full").workspace, "rev-list", "--count", "HEAD") == "26"


def project(tmp_path: Path, ci: str, files: dict[str, str] | None = None) -> SourceRepo:
    repo = SourceRepo(tmp_path / "src")
    repo.commit("first", {".gitlab-ci.yml": ci, "app/a.txt": "a\n", "lib/l.txt": "l\n", **(files or {})})
    return repo


def simulate(repo: SourceRepo, event: gitlab.Event, root: Path) -> gitlab.Run:
    return gitlab.simulate(repo.path, repo.path / ".gitlab-ci.yml", event, root=root)


CHANGES = """\
app:
  rules:
    - changes: [app/**/*]
  script: [make app]
lib:
  rules:
    - changes:
        paths: ["lib/*.{txt,md}"]
        compare_to: refs/heads/master
  script: [make lib]
docs:
  rules:
    - exists: [docs/**/*.md]
  script: [make docs]
"""


def test_rules_changes_compare_to_and_exists(tmp_path: Path) -> None:
    repo = project(tmp_path, CHANGES)
    first = repo.sha()
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("lib", {"lib/l.txt": "changed\n"})
    lib_only = repo.sha()
    repo.commit("app", {"app/a.txt": "changed\n", "docs/guide/x.md": "# x\n"})
    # A push of two commits diffs from `before`; compare_to diffs from the merge base with master.
    run = simulate(repo, gitlab.push(repo.path, "topic", first), tmp_path / "1")
    assert run.ran() == ["app", "lib", "docs"]
    # Only the last commit pushed: app changed; lib still differs from master.
    run = simulate(repo, gitlab.push(repo.path, "topic", lib_only), tmp_path / "2")
    assert run.ran() == ["app", "lib", "docs"]
    repo.checkout("master")
    repo.commit("app on master", {"app/a.txt": "master\n"})
    run = simulate(repo, gitlab.push(repo.path, "master", first), tmp_path / "3")
    assert run.ran() == ["app"]  # lib matches master itself; docs/ exists only on topic
    # A new branch and a schedule have no push to diff: `changes` always matches, compare_to still diffs.
    repo.git("branch", "fresh", "master")
    assert simulate(repo, gitlab.push(repo.path, "fresh"), tmp_path / "4").ran() == ["app"]
    assert simulate(repo, gitlab.schedule(repo.path, "master"), tmp_path / "5").ran() == ["app"]
    # A merge request compares with its diff base on the target branch.
    assert simulate(repo, gitlab.merge_request(repo.path, "topic", "master"), tmp_path / "6").ran() == \
        ["app", "lib", "docs"]


NEEDS = """\
stages: [build, test, deploy]
build-app:
  stage: build
  script: [make build-app]
build-lib:
  stage: build
  rules:
    - if: $CI_COMMIT_BRANCH == "never-this"
  script: [make build-lib]
test-app:
  stage: test
  needs: [build-app, {job: build-lib, optional: true}]
  script: [make test-app, exit $FAIL_TEST]
flaky:
  stage: test
  allow_failure: true
  script: [make flaky, exit 1]
deploy:
  stage: deploy
  script: [make deploy]
cleanup:
  stage: deploy
  when: always
  script: [make cleanup]
report:
  stage: deploy
  when: on_failure
  script: [make report]
manual:
  stage: deploy
  when: manual
  script: [make manual]
"""


@pytest.mark.parametrize("fail", ["0", "1"])
def test_needs_stages_when_and_allow_failure(tmp_path: Path, fail: str) -> None:
    repo = project(tmp_path, NEEDS)
    run = simulate(repo, gitlab.push(repo.path, "master", variables={"FAIL_TEST": fail}), tmp_path / "run")
    passed = fail == "0"
    assert run.results() == {"build-app": "success", "test-app": "success" if passed else "failure",
                             "flaky": "failure", "deploy": "success" if passed else "skipped", "cleanup": "success",
                             "report": "skipped" if passed else "success", "manual": "manual"}
    assert run.status == ("success" if passed else "failed")
    assert [name for name, _, _ in run.make_targets()] == run.ran()


def test_a_needed_job_left_out_by_rules_stops_the_pipeline_unless_optional(tmp_path: Path) -> None:
    repo = project(tmp_path, NEEDS.replace("{job: build-lib, optional: true}", "build-lib"))
    run = simulate(repo, gitlab.push(repo.path, "master"), tmp_path / "run")
    assert not run.created
    assert run.reason == "'test-app' job needs 'build-lib' job, but it was not added to the pipeline"


CHILD = """\
plan:
  stage: build
  script:
    - make plan
    - |
      {
        echo "child-$APP:"
        echo "  script: [make -C \\"$APP\\" release, exit $CHILD_EXIT]"
        echo "  rules:"
        echo "    - if: \\$CI_PIPELINE_SOURCE == \\"parent_pipeline\\" && \\$FROM_PARENT == \\"yes\\""
      } > child.yml
  artifacts:
    paths: [child.yml]
run-child:
  stage: test
  needs: [plan]
  variables:
    FROM_PARENT: "yes"
  trigger:
    include:
      - artifact: child.yml
        job: plan
    strategy: depend
"""


@pytest.mark.parametrize(("child_exit", "app", "status"), [("0", "app", "success"), ("1", "app", "failed"),
                                                          ("0", "nothing", "failed")])
def test_child_pipelines_run_from_the_artifact_and_mirror_their_status(tmp_path: Path, child_exit: str, app: str,
                                                                       status: str) -> None:
    ci = CHILD if app != "nothing" else CHILD.replace('FROM_PARENT: "yes"', 'FROM_PARENT: "no"')
    repo = project(tmp_path, ci)
    run = simulate(repo, gitlab.push(repo.path, "master", variables={"APP": "app", "CHILD_EXIT": child_exit}),
                   tmp_path / "run")
    assert run.status == status
    trigger = run.job("run-child")
    if app == "nothing":
        assert trigger.result == "failure" and "downstream pipeline can not be created" in trigger.error
        return
    assert trigger.child is not None and trigger.child.results() == {"child-app": "success" if child_exit == "0"
                                                                     else "failure"}
    assert [(job.name, job.make_targets()) for job in run.all_jobs() if job.calls] == [
        ("plan", [(".", ("plan",))]), ("child-app", [(".", ("-C", "app", "release"))])]


def test_without_strategy_depend_the_trigger_job_passes_when_the_child_fails(tmp_path: Path) -> None:
    repo = project(tmp_path, CHILD.replace("    strategy: depend\n", ""))
    run = simulate(repo, gitlab.push(repo.path, "master", variables={"APP": "app", "CHILD_EXIT": "1"}),
                   tmp_path / "run")
    assert run.status == "success" and run.job("run-child").child.status == "failed"


def test_variables_extends_references_and_local_includes(tmp_path: Path) -> None:
    repo = project(tmp_path, """\
include:
  - local: ci/base.yml
variables:
  GLOBAL: global
  BUILD_DIR: $CI_PROJECT_DIR/build
job:
  extends: .base
  variables:
    JOB: job-$GLOBAL
  script:
    - !reference [.setup, script]
    - make "$GLOBAL" "$JOB" "$BASE" "$BUILD_DIR" "$CI_COMMIT_BRANCH" "$CI_DEFAULT_BRANCH"
""", {"ci/base.yml": ".base:\n  variables:\n    BASE: base\n.setup:\n  script:\n    - make setup\n"})
    run = simulate(repo, gitlab.push(repo.path, "master", variables={"GLOBAL": "project wins"}), tmp_path / "run")
    job = run.job("job")
    assert job.make_targets() == [(".", ("setup",)), (".", ("project wins", "job-project wins", "base",
                                                             f"{job.workspace}/build", "master", "master"))]


def test_a_failing_before_script_line_stops_the_job(tmp_path: Path) -> None:
    repo = project(tmp_path, "job:\n  before_script: [make first, 'false | true', 'true | false', make never]\n"
                             "  script: [make never]\n  after_script: [make after, exit 1]\n")
    run = simulate(repo, gitlab.push(repo.path, "master"), tmp_path / "run")
    assert run.results() == {"job": "failure"}  # pipefail: `true | false` fails
    assert run.job("job").make_targets() == [(".", ("first",)), (".", ("after",))]


@pytest.mark.parametrize(("glob", "path", "matches"), [
    # Ruby's File.fnmatch examples (ruby-doc.org File.fnmatch) with FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB
    ("cat", "cat", True), ("cat", "category", False), ("c{at,ub}s", "cats", True), ("c{at,ub}s", "cubs", True),
    ("c?t", "cat", True), ("c??t", "cat", False), ("c*", "cats", True), ("c*t", "c/a/b/t", False),
    ("ca[a-z]", "cat", True), ("ca[^t]", "cat", False), ("ca[!t]", "cab", True), ("*", ".profile", True),
    ("**/foo", "a/b/c/foo", True), ("**/foo", "foo", True), ("**/foo", "a/.b/c/foo", True),
    ("**.rb", "lib/song.rb", False), ("*/*.rb", "lib/song.rb", True), ("app/**/*", "app/a/b.txt", True),
    ("app/**/*", "app/b.txt", True), ("app/*", "app/a/b.txt", False), ("lib/*.{txt,md}", "lib/l.md", True),
])
def test_fnmatch_follows_ruby(glob: str, path: str, matches: bool) -> None:
    assert gitlab_rules.fnmatch(glob, path) is matches


def test_dotenv_reports_and_a_child_job_fetching_its_parents_artifacts(tmp_path: Path) -> None:
    repo = project(tmp_path, """\
stages: [plan, run]
plan:
  stage: plan
  script:
    - echo "AFFECTED=app lib" > plan.env
    - echo "app" > affected.txt
    - |
      printf 'child:\\n  needs:\\n    - pipeline: $PARENT_PIPELINE_ID\\n      job: plan\\n  script: [make "$(cat affected.txt)" "$AFFECTED"]\\n' > child.yml
  artifacts:
    paths: [affected.txt, child.yml]
    reports:
      dotenv: plan.env
use:
  stage: run
  script: [make use "$AFFECTED"]
children:
  stage: run
  variables:
    PARENT_PIPELINE_ID: $CI_PIPELINE_ID
  trigger:
    include:
      - artifact: child.yml
        job: plan
    strategy: depend
""")
    run = simulate(repo, gitlab.push(repo.path, "master"), tmp_path / "run")
    assert run.status == "success", [(job.name, job.log) for job in run.all_jobs()]
    assert [(job.name, job.make_targets()) for job in run.all_jobs() if job.calls] == [
        ("use", [(".", ("use", "app lib"))]), ("child", [(".", ("app", "app lib"))])]


def test_workflow_rules_with_changes_and_the_predefined_variables(tmp_path: Path) -> None:
    repo = project(tmp_path, """\
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      variables:
        KIND: mr
    - changes: [app/**/*]
      variables:
        KIND: app
job:
  script:
    - make "$KIND" "$CI_PIPELINE_SOURCE" "$CI_COMMIT_REF_NAME" "${CI_COMMIT_BRANCH:-none}" "$CI_COMMIT_BEFORE_SHA"
    - make "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-none}" "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-none}"
""")
    first = repo.sha()
    repo.commit("lib only", {"lib/l.txt": "2\n"})
    assert not simulate(repo, gitlab.push(repo.path, "master", first), tmp_path / "lib").created
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("app", {"app/a.txt": "2\n"})
    run = simulate(repo, gitlab.push(repo.path, "topic", "master"), tmp_path / "push")
    assert run.job("job").make_targets() == [(".", ("app", "push", "topic", "topic", repo.sha("master"))),
                                             (".", ("none", "none"))]
    run = simulate(repo, gitlab.merge_request(repo.path, "topic", "master"), tmp_path / "mr")
    assert run.job("job").make_targets() == [(".", ("mr", "merge_request_event", "topic", "none", "0" * 40)),
                                             (".", ("master", repo.sha("master")))]


def test_documented_limits(tmp_path: Path) -> None:
    jobs = "".join(f"app-{n}:\n  script: [make {n}]\n" for n in range(51))
    gate = "gate:\n  stage: deploy\n  needs: [" + ", ".join(f"app-{n}" for n in range(51)) + "]\n  script: [make gate]\n"
    repo = project(tmp_path, jobs + gate)
    run = simulate(repo, gitlab.push(repo.path, "master"), tmp_path / "needs")
    assert not run.created and run.reason == "One job can only need 50 others, but you have 51."
    (repo.path / ".gitlab-ci.yml").write_text(jobs)
    run = gitlab.simulate(repo.path, repo.path / ".gitlab-ci.yml", gitlab.push(repo.path, "master"),
                          root=tmp_path / "size", max_jobs=50)
    assert not run.created and run.reason.startswith("size_limit_exceeded: 51 jobs")
    (repo.path / ".gitlab-ci.yml").write_text("job:\n  rules:\n    - changes: [" + ", ".join(f"d{n}/*" for n in range(51))
                                              + "]\n  script: [make]\n")
    with pytest.raises(gitlab.SimulationError, match="51 patterns, at most 50"):
        simulate(repo, gitlab.push(repo.path, "master"), tmp_path / "changes")
