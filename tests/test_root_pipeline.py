"""The root pipeline of a monorepo (SPEC "Monorepos"): generate and check write and prove one pipeline
at the repository root from every spec, the providers' own validators accept it, conflicts are exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ci_tools import github_tools, validate_github_schema, validate_gitlab_schema, zizmor
from validators import assert_valid, shellcheck_recipe, validate_travis, validate_yamllint

PIPELINES = {"travis": ".travis.yml", "github": ".github/workflows/shipspec.yml", "gitlab": ".gitlab-ci.yml"}
SPEC = "apiVersion: shipspec/v1\nkind: App\nname: {name}\nimage:\n  repository: acme/{name}\ncharts:\n" \
       "  repo: git@github.com:acme/charts.git\nci: {ci}\n{extra}"


def shipspec(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shipspec", *args], cwd=cwd, capture_output=True, text=True, env=env)


def monorepo(root: Path, ci: str, names: tuple[str, ...] = ("api", "web", "worker"), extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "master"], cwd=root, check=True)
    for name in names:
        folder = root / "services" / name
        folder.mkdir(parents=True)
        (folder / "shipspec.yaml").write_text(SPEC.format(name=name, ci=ci, extra=extra))
    return root


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_generate_writes_one_root_pipeline_and_check_proves_it(ci: str, tmp_path: Path) -> None:
    root = monorepo(tmp_path / "repo", ci)
    done = shipspec(root, "generate", ".")
    assert done.returncode == 0, done.stderr
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git/" not in
                   p.as_posix())
    assert files == sorted([PIPELINES[ci], *(f"services/{n}/{f}" for n in ("api", "web", "worker")
                                             for f in ("Makefile", "shipspec.yaml"))])
    text = (root / PIPELINES[ci]).read_text()
    assert text.splitlines()[1] == "# root pipeline of 3 apps"
    assert all(f"# services/{n}/shipspec.yaml" in text for n in ("api", "web", "worker"))
    for full in ("0", "1"):
        env = {**__import__("os").environ, "SHIPSPEC_FULL_CHECK": full}
        checked = shipspec(root, "check", ".", env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # checking one app also proves the shared pipeline
        one = shipspec(root / "services" / "web", "check", env=env)
        assert one.returncode == 0 and "1 app checked: 1 in sync, 0 drifted, 0 invalid; 1 root pipeline: in sync" in one.stdout, one.stdout


@pytest.mark.parametrize("full", ["0", "1"])
def test_a_spec_change_is_root_pipeline_drift_never_a_false_in_sync(full: str, tmp_path: Path) -> None:
    root = monorepo(tmp_path / "repo", "github")
    assert shipspec(root, "generate", ".").returncode == 0
    env = {**__import__("os").environ, "SHIPSPEC_FULL_CHECK": full}
    # a new app in the repository: the root pipeline must name it
    (root / "services" / "new").mkdir()
    (root / "services" / "new" / "shipspec.yaml").write_text(SPEC.format(name="new", ci="github", extra=""))
    checked = shipspec(root / "services" / "api", "check", env=env)
    assert checked.returncode == 1 and "root pipeline" in checked.stdout, checked.stdout
    assert shipspec(root, "generate", ".").returncode == 0
    assert shipspec(root, "check", ".", env=env).returncode == 0
    # a hand edit of the root pipeline's body
    path = root / PIPELINES["github"]
    path.write_text(path.read_text().replace("timeout-minutes: 30", "timeout-minutes: 31"))
    checked = shipspec(root, "check", ".", env=env)
    assert checked.returncode == 1 and "edited by hand" in checked.stdout


def test_conflicting_provider_settings_are_exit_2_naming_both_specs(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "repo", "travis", names=("api",))
    (root / "services" / "web").mkdir()
    (root / "services" / "web" / "shipspec.yaml").write_text(
        SPEC.format(name="web", ci="travis", extra="travis:\n  dist: focal\n"))
    done = shipspec(root, "generate", ".")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "services/api/shipspec.yaml and services/web/shipspec.yaml disagree on travis.dist" in done.stderr
    assert not (root / ".travis.yml").exists() and not (root / "services" / "api" / "Makefile").exists()
    (root / "services" / "web" / "shipspec.yaml").write_text(SPEC.format(name="web", ci="github", extra=""))
    done = shipspec(root, "check", ".")
    assert done.returncode == 2 and "disagree on ci: 'travis' and 'github'" in done.stdout


def test_a_spec_alone_at_its_root_renders_its_own_pipeline(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "shipspec.yaml").write_text(SPEC.format(name="solo", ci="travis", extra=""))
    assert shipspec(root, "generate").returncode == 0
    assert "# shipspec.yaml" in (root / ".travis.yml").read_text().splitlines()[1]


def test_stale_per_folder_pipelines_are_removed(tmp_path: Path) -> None:
    # shipspec 1.1 wrote a pipeline beside each spec of a monorepo; no CI ever ran them.
    root = monorepo(tmp_path / "repo", "travis", names=("api",))
    (root / ".shipspec-root").write_text("")  # the app alone, at the root: its own pipeline, as in 1.1
    (root / "services" / "api" / ".shipspec-root").write_text("")
    assert shipspec(root / "services" / "api", "generate").returncode == 0
    assert (root / "services" / "api" / ".travis.yml").is_file()
    (root / "services" / "api" / ".shipspec-root").unlink()
    (root / ".shipspec-root").unlink()
    checked = shipspec(root, "check", ".")
    assert checked.returncode == 1 and "stale" in checked.stdout
    done = shipspec(root, "generate", ".")
    assert done.returncode == 0 and "removed   services/api/.travis.yml" in done.stdout, done.stdout
    assert (root / ".travis.yml").is_file() and not (root / "services" / "api" / ".travis.yml").exists()
    assert shipspec(root, "check", ".").returncode == 0


def test_an_app_at_the_root_of_a_monorepo(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "repo", "gitlab", names=("api",))
    (root / "shipspec.yaml").write_text(SPEC.format(name="top", ci="gitlab", extra=""))
    done = shipspec(root, "generate", ".")
    assert done.returncode == 0, done.stderr
    assert (root / ".gitlab-ci.yml").read_text().splitlines()[1] == "# root pipeline of 2 apps"
    assert shipspec(root, "check", ".").returncode == 0


def _rendered(ci: str, tmp_path: Path, count: int = 3) -> Path:
    names = tuple(f"app{i}" for i in range(count))
    root = monorepo(tmp_path / f"repo-{ci}-{count}", ci, names=names)
    done = shipspec(root, "generate", ".")
    assert done.returncode == 0, done.stderr
    return root / PIPELINES[ci]


def test_the_github_root_pipeline_passes_every_validator(tmp_path: Path) -> None:
    path = _rendered("github", tmp_path)
    assert_valid(validate_github_schema(path), "workflow (schema)")
    assert_valid(zizmor(path), "workflow (zizmor)")
    tools = github_tools(path)
    assert_valid(tools["parse"] + tools["convert"] + tools["actionlint"], "workflow (parser, actionlint)")
    assert_valid(validate_yamllint(path), "yamllint")
    jobs = yaml.safe_load(path.read_text())["jobs"]
    assert jobs["shipspec"]["name"] == "shipspec" and jobs["shipspec"]["if"] == "always()"
    assert jobs["release"]["concurrency"]["cancel-in-progress"] is False
    for job in jobs.values():
        for step in job["steps"]:
            if "run" in step:
                assert_valid(shellcheck_recipe(step["run"]), f"run: {step['run']}")


def test_the_gitlab_root_pipeline_passes_its_schema(tmp_path: Path) -> None:
    path = _rendered("gitlab", tmp_path)
    assert_valid(validate_gitlab_schema(path), ".gitlab-ci.yml")
    assert_valid(validate_yamllint(path), "yamllint")
    document = yaml.safe_load(path.read_text())
    assert document["apps"]["trigger"]["strategy"] == "depend"
    assert_valid(shellcheck_recipe("\n".join(document["affected"]["script"])), "affected script")


def test_the_travis_root_pipeline_passes_its_schema(tmp_path: Path) -> None:
    from travis_conditions import evaluate

    path = _rendered("travis", tmp_path)
    assert_valid(validate_travis(path), ".travis.yml")
    assert_valid(validate_yamllint(path), "yamllint")
    jobs = yaml.safe_load(path.read_text())["jobs"]["include"]
    assert {job["name"] for job in jobs} == {"shipspec"}
    # exactly one job named shipspec for every kind of build
    for data in ({"type": "pull_request", "branch": "master"}, {"type": "push", "branch": "dev"},
                 {"type": "push", "branch": "v1", "tag": "v1"}, {"type": "cron", "branch": "master"},
                 {"type": "api", "branch": "x"}):
        assert sum(evaluate(job["if"], data) for job in jobs) == 1, data


def test_the_monorepo_sample_root_pipeline_snapshot(snapshot) -> None:
    from samples import SAMPLES_DIR

    from shipspec.files import monorepo as disk, rootpipeline

    root = SAMPLES_DIR / "monorepo"
    [repository] = disk.repositories([root / "api" / "shipspec.yaml"])
    path, text = rootpipeline.render_root(repository)
    assert path.resolve() == (root / ".travis.yml").resolve()
    assert text == snapshot


PIN = "shipspec @ git+https://github.com/acme/shipspec@" + "0123456789abcdef" * 2 + "01234567"


@pytest.mark.parametrize("ci", ["travis", "github", "gitlab"])
def test_every_job_of_a_root_pipeline_installs_the_shipspec_the_specs_name(ci: str, tmp_path: Path) -> None:
    root = monorepo(tmp_path / "repo", ci, extra=f'install: "{PIN}"\n')
    done = shipspec(root, "generate", ".")
    assert done.returncode == 0, done.stderr
    installs = [line for line in _strings(yaml.safe_load((root / PIPELINES[ci]).read_text()))
                if "pip install" in line]
    # GitHub: jobs affected, release and scheduled-0 (the nightly release of staging, cron: true by default)
    assert len(installs) == {"travis": 1, "github": 3, "gitlab": 1}[ci]
    assert all(line.endswith(f" '{PIN}'") for line in installs), installs


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [line for line in str(node).splitlines()]


def test_specs_that_name_different_shipspecs_are_exit_2_naming_both(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "repo", "github", names=("api",))
    (root / "services" / "web").mkdir()
    (root / "services" / "web" / "shipspec.yaml").write_text(
        SPEC.format(name="web", ci="github", extra=f'install: "{PIN}"\n'))
    done = shipspec(root, "generate", ".")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    from shipspec import __version__
    assert (f"services/api/shipspec.yaml and services/web/shipspec.yaml disagree on install: "
            f"'shipspec=={__version__}' and '{PIN}'") in done.stderr
    assert not (root / PIPELINES["github"]).exists()


def test_an_app_with_argocd_server_gates_each_pull_request_in_the_root_pipeline(tmp_path: Path) -> None:
    gated = "argocd:\n  server: https://argocd.example.com\n  gateTimeout: 25m\n"
    root = monorepo(tmp_path / "repo", "github", names=("api",), extra=gated)
    (root / "services" / "web").mkdir()
    (root / "services" / "web" / "shipspec.yaml").write_text(SPEC.format(name="web", ci="github", extra=""))
    assert shipspec(root, "generate", ".").returncode == 0
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "apps"], cwd=root, check=True)
    workflow = yaml.safe_load((root / PIPELINES["github"]).read_text())
    release = workflow["jobs"]["release"]
    assert release["timeout-minutes"] == 60 + 25 + 5  # the gate waits up to gateTimeout, then publishes
    steps = [step for step in release["steps"] if step.get("name") == "make, in each app's folder"]
    assert steps[0]["env"]["ARGOCD_AUTH_TOKEN"] == "${{ secrets.ARGOCD_AUTH_TOKEN }}"

    from shipspec.release.affected import App, Proposal, Result

    apps = [App(name, f"services/{name}/shipspec.yaml", f"services/{name}", deploy=["stag"],
                propose=[Proposal("prod", "abc1234", True)]) for name in ("api", "web")]
    apps.append(App("late", "services/api/shipspec.yaml", "services/api", propose=[Proposal("prod", "0ld7a90", False)]))
    result = Result("release", "x", "master", apps, {a.spec: True for a in apps},
                    {"services/api/shipspec.yaml": True, "services/web/shipspec.yaml": False})
    calls = [line.split(" || ")[0] for line in result.script().splitlines() if line.startswith("make ")]
    assert calls == [
        "make -C services/api docker-login docker-build test docker-push stag-commit prod-pr prod-gate",
        "make -C services/web docker-login docker-build test docker-push stag-commit prod-pr",
        "make -C services/api prod-pr prod-gate TAG=0ld7a90",
    ]
    # The generated Makefile has each target the script calls (make -n runs none of them).
    for call in calls:
        words = call.split()[1:]
        done = subprocess.run(["make", "-n", *words], cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert ("shipspec gate prod" in done.stdout) == ("prod-gate" in words)


@pytest.mark.parametrize("command", ["check", "generate"])
@pytest.mark.parametrize("named", [".", "services/web"])
def test_a_full_pass_over_a_monorepo_parses_each_spec_once(
    command: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each app's own pass hands the root pipeline what it read of its spec; the root pipeline loads only
    the specs that were not named. Forced full path, after a spec edit (the root pipeline is not in sync)."""
    from shipspec.cli import main
    from shipspec.files import specfile

    root = monorepo(tmp_path / "repo", "github")
    assert shipspec(root, "generate", ".").returncode == 0
    web = root / "services" / "web" / "shipspec.yaml"
    web.write_text(web.read_text() + "team: shop\n")
    parsed: list[str] = []
    real = specfile.parse_document

    def counting(raw: bytes, shown: str) -> object:
        parsed.append(Path(shown).parent.name)
        return real(raw, shown)

    monkeypatch.setattr(specfile, "parse_document", counting)
    monkeypatch.setenv("SHIPSPEC_FULL_CHECK", "1")
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit) as exited:
        main([command, "--jobs", "1", named])
    output = capsys.readouterr().out
    assert sorted(parsed) == ["api", "web", "worker"], parsed
    assert exited.value.code == (1 if command == "check" else 0), output
    if command == "generate":
        assert shipspec(root, "check", ".").returncode == 0


@pytest.mark.parametrize("full", ["0", "1"])
def test_an_invalid_spec_is_named_alike_by_its_app_and_by_the_root_pipeline(full: str, tmp_path: Path) -> None:
    """The root pipeline takes an app's problems from the app's own pass: the same lines, the spec named
    as the user named it (not by its absolute path), and `generate` lists each problem once."""
    import os

    root = monorepo(tmp_path / "repo", "travis")
    assert shipspec(root, "generate", ".").returncode == 0
    api = root / "services" / "api" / "shipspec.yaml"
    api.write_text(api.read_text().replace("kind: App", "kind: Application"))
    env = {**os.environ, "SHIPSPEC_FULL_CHECK": full}
    checked = shipspec(root, "check", ".", env=env)
    assert checked.returncode == 2, checked.stdout
    problem = "  services/api/shipspec.yaml:2:7: kind: must be 'App', got string 'Application'"
    assert checked.stdout.count(problem + "\n") == 2, checked.stdout  # under the app, under the root pipeline
    assert str(tmp_path) not in checked.stdout
    generated = shipspec(root, "generate", ".", env=env)
    assert generated.returncode == 2
    assert generated.stderr.count("kind: must be 'App'") == 1, generated.stderr
