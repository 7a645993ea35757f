"""`shipspec check` over real trees: every status, cause and exit code, on both paths.

Every check runs twice, once with the digest fast path and once forced onto
the full comparison (SHIPSPEC_FULL_CHECK=1); the two must print the same
bytes and exit with the same code.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from generator import drift, fastcheck, parallel
from generator.cli import main
from generator.commands import check as check_command
from samples import SAMPLES_DIR
from conftest import run_shipspec

SHOP = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: myorg/shop
charts:
  repo: git@github.com:myorg/charts.git
environments:
  - name: dev
  - name: test
  - name: prod
branches:
  main: {deploy: [dev], propose: [test]}
"""


def shipspec(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code)


def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`shipspec check ARGS` on the fast path and on the full path: same code, same output."""
    results = []
    for full in ("", "1"):
        monkeypatch.setenv(drift.FULL_PATH_ENV, full)
        capsys.readouterr()
        code = shipspec("check", *args)
        captured = capsys.readouterr()
        results.append((code, captured.out, captured.err))
    monkeypatch.delenv(drift.FULL_PATH_ENV)
    assert results[0] == results[1], "the fast path and the full comparison disagree"
    return results[0][0], results[0][1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """tmp/app/shipspec.yaml (the myapp sample), generated into tmp/app and tmp/charts; cwd is tmp/app."""
    app = tmp_path / "app"
    app.mkdir()
    (tmp_path / "charts").mkdir()
    shutil.copy(SAMPLES_DIR / "myapp" / "shipspec.yaml", app)
    monkeypatch.chdir(app)
    assert shipspec("generate") == 0
    capsys.readouterr()
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_freshly_generated_app_is_in_sync(project: Path, monkeypatch, capsys) -> None:
    code, output = check(monkeypatch, capsys)
    assert code == 0
    assert output == "1 app checked: 1 in sync, 0 drifted, 0 invalid\n"


def test_in_sync_app_is_proven_without_rendering(project: Path, monkeypatch) -> None:
    spec = project / "app/shipspec.yaml"
    assert fastcheck.prove(spec, None) is not None
    edit(project / "charts/charts/myapp/values.dev.yaml", "replicaCount: 1", "replicaCount: 5")
    assert fastcheck.prove(spec, None) is None  # any difference: the full comparison decides


def test_a_changed_renderer_is_drift_even_without_a_version_bump(project: Path, monkeypatch, capsys) -> None:
    from generator import header

    monkeypatch.setattr(header, "renderer_fingerprint", lambda: "a template changed")
    code, output = check(monkeypatch, capsys)
    assert code == 1 and output.count("  changed  ") == 8
    assert "differs from what the spec renders: run `shipspec generate`" in output


def test_an_edited_line_is_shown_as_a_diff_naming_file_and_line(project: Path, monkeypatch, capsys) -> None:
    makefile = project / "app/Makefile"
    lines = makefile.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("docker-build:"))
    lines[number - 1] = "docker-build: # mine\n"
    makefile.write_text("".join(lines))
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "drifted  shipspec.yaml (myapp)\n" in output
    assert "  changed  Makefile: edited by hand since it was generated" in output
    assert "--- a/Makefile\n+++ b/Makefile\n" in output
    hunk = re.search(r"^@@ -(\d+),(\d+) ", output, re.MULTILINE)
    assert hunk and int(hunk[1]) <= number < int(hunk[1]) + int(hunk[2])
    assert "\n-docker-build: # mine\n" in output and "\n+docker-build:\n" in output  # disk -> spec
    assert "\x1b[" not in output  # not a terminal: no colour
    assert output.endswith("1 app checked: 0 in sync, 1 drifted, 0 invalid\n")


def test_a_deleted_file_is_missing(project: Path, monkeypatch, capsys) -> None:
    (project / "charts/argocd/myapp-stag.yaml").unlink()
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "  missing  ../charts/argocd/myapp-stag.yaml: missing: run `shipspec generate`\n" in output


def test_removing_an_environment_leaves_stale_files(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "charts").mkdir()
    spec = tmp_path / "app/shipspec.yaml"
    spec.write_text(SHOP)
    monkeypatch.chdir(tmp_path / "app")
    assert shipspec("generate") == 0
    spec.write_text(SHOP.replace("  - name: test\n", "").replace(", propose: [test]", ""))
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "  stale    ../charts/charts/shop/values.test.yaml: generated for this app, but the spec no longer " \
           "produces it: run `shipspec generate --prune`\n" in output
    assert "  stale    ../charts/argocd/shop-test.yaml:" in output
    assert "  changed  Makefile: the spec changed since it was generated: run `shipspec generate`\n" in output


def test_generate_lists_stale_files_and_prune_removes_only_this_apps(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "app").mkdir()
    charts = tmp_path / "charts"
    charts.mkdir()
    spec = tmp_path / "app/shipspec.yaml"
    spec.write_text(SHOP)
    monkeypatch.chdir(tmp_path / "app")
    assert shipspec("generate") == 0
    mine = charts / "argocd/shop-handmade.yaml"
    mine.write_text("kind: Application\n")  # no header: never ours to remove
    other = charts / "argocd/shop-other.yaml"
    other.write_text((charts / "argocd/shop-dev.yaml").read_text().replace("for app shop;", "for app shopx;"))
    spec.write_text(SHOP.replace("  - name: test\n", "").replace(", propose: [test]", ""))
    capsys.readouterr()
    assert shipspec("generate") == 0
    output = capsys.readouterr().out
    assert "stale     ../charts/argocd/shop-test.yaml (the spec no longer produces it)\n" in output
    assert output.endswith("6 files: 0 created, 6 updated, 0 unchanged; 2 stale (`shipspec generate --prune` "
                           "removes them)\n")
    assert (charts / "argocd/shop-test.yaml").exists()
    assert shipspec("generate", "--prune") == 0
    output = capsys.readouterr().out
    assert "removed   ../charts/charts/shop/values.test.yaml\n" in output
    assert not (charts / "argocd/shop-test.yaml").exists() and not (charts / "charts/shop/values.test.yaml").exists()
    assert mine.exists() and other.exists()
    assert check(monkeypatch, capsys)[0] == 0


def test_a_release_tag_is_not_drift(project: Path, monkeypatch, capsys) -> None:
    edit(project / "charts/charts/myapp/values.dev.yaml", 'tag: ""', 'tag: "0a1b2c3"')
    code, output = check(monkeypatch, capsys)
    assert (code, output) == (0, "1 app checked: 1 in sync, 0 drifted, 0 invalid\n")


def test_an_unreadable_release_tag_is_drift_on_both_paths(project: Path, monkeypatch, capsys) -> None:
    # Not a string the renderer can read back: both paths must see it as drift.
    edit(project / "charts/charts/myapp/values.dev.yaml", 'tag: ""', 'tag: "\\q"')
    assert check(monkeypatch, capsys)[0] == 1


def test_a_pinned_environment_with_another_tag_is_drift(project: Path, monkeypatch, capsys) -> None:
    edit(project / "app/shipspec.yaml", "  - name: dev\n", '  - name: dev\n    pin: "1e5"\n')
    assert shipspec("generate") == 0
    assert check(monkeypatch, capsys)[0] == 0
    values = project / "charts/charts/myapp/values.dev.yaml"
    edit(values, 'tag: "1e5"  # pinned', 'tag: "abcdef0"  # pinned')
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "  changed  ../charts/charts/myapp/values.dev.yaml: edited by hand" in output
    assert '\n+  tag: "1e5"  # pinned' in output


def test_a_header_from_another_version_names_both_versions(project: Path, monkeypatch, capsys) -> None:
    edit(project / "app/.travis.yml", "# Generated by shipspec 0.1.0 ", "# Generated by shipspec 0.0.9 ")
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "  changed  .travis.yml: generated by shipspec 0.0.9, this is shipspec 0.1.0: run `shipspec generate`" \
        in output


def test_only_the_spec_changed_says_run_generate(project: Path, monkeypatch, capsys) -> None:
    edit(project / "app/shipspec.yaml", "replicaCount: 3", "replicaCount: 4")
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "  changed  ../charts/charts/myapp/values.prod.yaml: the spec changed since it was generated: " \
           "run `shipspec generate`\n" in output
    assert "\n-replicaCount: 3\n+replicaCount: 4\n" in output


def test_a_file_without_the_header_is_explained(project: Path, monkeypatch, capsys) -> None:
    (project / "app/Makefile").write_text("all:\n\techo mine\n")
    code, output = check(monkeypatch, capsys)
    assert code == 1
    assert "  changed  Makefile: it has no shipspec header" in output


def test_missing_charts_checkout_is_reported_and_exits_2(project: Path, monkeypatch, capsys) -> None:
    shutil.rmtree(project / "charts")
    code, output = check(monkeypatch, capsys)
    assert code == 2
    assert "charts checkout ../charts (charts.checkout in shipspec.yaml) is not a directory" in output
    assert check(monkeypatch, capsys, "--skip-charts") == (0, "1 app checked: 1 in sync, 0 drifted, 0 invalid\n")
    edit(project / "app/Makefile", "docker-build:", "docker-build: # mine")
    assert check(monkeypatch, capsys, "--skip-charts")[0] == 1


def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    shutil.copytree(SAMPLES_DIR / "monorepo", tmp_path / "monorepo")
    monkeypatch.chdir(tmp_path)
    assert shipspec("generate", "monorepo") == 0
    capsys.readouterr()
    return tmp_path / "monorepo"


def test_monorepo_with_a_drifted_and_an_invalid_app(tmp_path: Path, monkeypatch, capsys) -> None:
    root = monorepo(tmp_path, monkeypatch, capsys)
    edit(root / "api/Makefile", "docker-build:", "docker-build: # mine")
    edit(root / "worker/shipspec.yaml", "name: worker", "name: Worker_")
    code, output = check(monkeypatch, capsys, "monorepo")
    assert code == 2
    assert "drifted  monorepo/api/shipspec.yaml (api)\n  changed  monorepo/api/Makefile: edited by hand" in output
    assert re.search(r"^invalid  monorepo/worker/shipspec.yaml\n  monorepo/worker/shipspec.yaml:\d+:\d+: name: ",
                     output, re.MULTILINE)
    assert output.endswith("2 apps checked: 0 in sync, 1 drifted, 1 invalid\n")


def test_json_report(tmp_path: Path, monkeypatch, capsys) -> None:
    root = monorepo(tmp_path, monkeypatch, capsys)
    edit(root / "api/Makefile", "docker-build:", "docker-build: # mine")
    code, output = check(monkeypatch, capsys, "monorepo", "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert report["version"] == "0.1.0"
    assert report["summary"] == {"apps": 2, "in_sync": 1, "drifted": 1, "invalid": 0}
    api, worker = report["apps"]
    assert worker == {"spec": "monorepo/worker/shipspec.yaml", "app": "worker", "status": "in_sync", "files": [],
                      "problems": [], "error": None}
    assert api["status"] == "drifted" and api["app"] == "api"
    [changed] = api["files"]
    assert changed["path"] == "monorepo/api/Makefile" and changed["status"] == "changed"
    assert changed["cause"].startswith("edited by hand")
    assert "+docker-build:\n" in changed["diff"] and "-docker-build: # mine\n" in changed["diff"]
    edit(root / "worker/shipspec.yaml", "name: worker", "name: Worker_")
    code, output = check(monkeypatch, capsys, "monorepo", "--format", "json")
    worker = json.loads(output)["apps"][1]
    assert code == 2 and worker["status"] == "invalid" and worker["problems"][0]["field"] == "name"


def test_parallel_workers_report_in_spec_order(tmp_path: Path, monkeypatch, capsys) -> None:
    apps = tmp_path / "apps"
    (tmp_path / "charts").mkdir()
    for index in range(150):
        folder = apps / f"a{index:03d}"
        folder.mkdir(parents=True)
        (folder / "shipspec.yaml").write_text(
            SHOP.replace("name: shop", f"name: a{index:03d}").replace("charts.git\n", "charts.git\n  checkout: ../../charts\n"))
    monkeypatch.chdir(tmp_path)
    assert shipspec("generate", "apps") == 0
    for index in (3, 77, 140):
        edit(apps / f"a{index:03d}/Makefile", "docker-build:", "docker-build: # mine")
    serial = check(monkeypatch, capsys, "apps", "--jobs", "1", "--format", "json")
    parallel = check(monkeypatch, capsys, "apps", "--jobs", "2", "--format", "json")
    assert serial == parallel and serial[0] == 1
    drifted = [app["app"] for app in json.loads(serial[1])["apps"] if app["status"] == "drifted"]
    assert drifted == ["a003", "a077", "a140"]


def test_automatic_jobs_stay_serial_for_small_repos() -> None:
    assert parallel.workers(0, 10) == 1
    assert parallel.workers(3, 10) == 3
    assert parallel.workers(0, 100_000) >= 1


def test_negative_jobs_is_a_usage_error(project: Path, capsys) -> None:
    assert shipspec("check", "--jobs", "-1") == 2
    assert "--jobs must be 0 (automatic) or more" in capsys.readouterr().err


def test_colour_only_on_a_terminal() -> None:
    report = drift.AppReport("s.yaml", "a", drift.AppStatus.DRIFTED, (
        drift.FileDrift("Makefile", drift.FileStatus.CHANGED, "edited", "--- a/M\n+++ b/M\n@@ -1 +1 @@\n-x\n+y\n"),))
    painted = check_command.TextReporter(color=True)._paint(report.files[0].diff)
    assert "\x1b[31m-x\x1b[0m\n" in painted and "\x1b[32m+y\x1b[0m\n" in painted
    assert check_command.TextReporter(color=False)._paint(report.files[0].diff) == report.files[0].diff


def test_subprocess_exit_codes_and_no_traceback(project: Path) -> None:
    app = project / "app"
    assert run_shipspec("check", cwd=app).returncode == 0
    edit(app / "Makefile", "docker-build:", "docker-build: # mine")
    done = run_shipspec("check", cwd=app)
    assert done.returncode == 1 and "\x1b[" not in done.stdout
    (app / "shipspec.yaml").write_text("apiVersion: shipspec/v1\nkind: App\nname: 7\n")
    done = run_shipspec("check", cwd=app)
    assert done.returncode == 2 and "shipspec.yaml:3:7: name:" in done.stdout and "Traceback" not in done.stderr
    done = run_shipspec("check", "nowhere", cwd=app)
    assert done.returncode == 2 and "nowhere: no such file or directory" in done.stderr


@pytest.mark.parametrize("text", [
    "name: a\ncharts: {repo: x, path: y}\n",  # flow mapping
    "name: a\nname: b\n",  # duplicate key
    "name: &n a\n",  # anchor
    "name: a\n  b\n",  # a plain scalar continued on the next line
    "name: a\ncharts:\n  path: x\n    y\n",
    "%YAML 1.1\n---\nname: a\n",
    "name: a\ncharts:\n  <<: *base\n",
    "name: 'a\n",
    "charts:\n  path: x\n",  # no name: the full path reports it
    "name: a\ncharts:\n    checkout: x\n  path: y\n",  # inconsistent indentation
])
def test_layout_scan_doubts_what_it_does_not_understand(text: str) -> None:
    assert fastcheck.layout(text.encode()) is None


def test_layout_scan_reads_the_locating_fields_with_model_defaults() -> None:
    text = ("# c\nname: \"shop\"  # x\nimage:\n  repository: a/b\ncharts:\n  repo: git@h:o/c.git\n  path: 'k8s/shop'\n"
            "  checkout: ../../charts\nargocd:\n  labels:\n    manifests: no\n  manifests: apps\n")
    assert fastcheck.layout(text.encode()) == fastcheck.Layout("shop", "../../charts", "k8s/shop", "apps")
    assert fastcheck.layout(b"name: shop\n") == fastcheck.Layout("shop", "../charts", "charts/shop", "argocd")


@pytest.mark.parametrize("spec", sorted(SAMPLES_DIR.rglob("shipspec.yaml")), ids=lambda p: p.parent.name)
def test_layout_scan_agrees_with_the_model_on_every_sample(spec: Path) -> None:
    from generator.spec import load

    assert fastcheck.layout(spec.read_bytes()) == drift.layout_of(load(spec))
    assert fastcheck.prove(spec, None) is not None  # the committed samples are proven in sync
