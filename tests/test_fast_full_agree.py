"""The digest fast path and the full comparison give one verdict, whatever happens on the chart side.

`check` proves an app in sync from its headers when it can; `SHIPSPEC_FULL_CHECK=1
check` always loads, renders and compares. The README promises they agree: here
the chart side of a generated app is mutated at random (a tag added, removed,
changed or pinned by hand; comment lines removed or edited; an Application
deleted, edited, or added for an environment that awaits its first release; a
header edited) and both paths must report the same verdict and the same files;
`generate` must then bring the app back in sync on both paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, run_shipspec

from shipspec.files import drift, fastcheck
from shipspec.files.generate import generate
from shipspec.render.header import AWAITING

SPEC = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: acme/shop
charts:
  repo: git@github.com:acme/charts.git
environments:
  - name: dev
  - name: stag
  - name: prod
    pin: "1111111"
"""
ENVS = ("dev", "stag", "prod")
TAGS = st.one_of(
    st.sampled_from(["0a1b2c3", "abc1234", "v1.2.3", "", " ", "a b", "x\\\"y", "1e3", "null", "'q'"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=8),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """app/ and charts/ with dev released, stag awaiting its first release and prod pinned."""
    root = tmp_path_factory.mktemp("agree")
    (root / "app").mkdir()
    (root / "charts").mkdir()
    spec = root / "app" / "shipspec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    assert generate([str(spec)]) == 0
    overlay = root / "charts/charts/shop/values.dev.yaml"
    released = AWAITING.sub("", overlay.read_text(encoding="utf-8")).replace("\n\n", "\n")  # as a release does
    overlay.write_text(_set_tag(released, "0a1b2c3"), encoding="utf-8")
    assert generate([str(spec)]) == 0
    assert (root / "charts/argocd/shop-dev.yaml").is_file() and not (root / "charts/argocd/shop-stag.yaml").exists()
    return root


def _set_tag(text: str, tag: str, comment: str = "") -> str:
    """The overlay with its image tag line set to `tag` (JSON-quoted, as a release writes it)."""
    import json

    lines = [line for line in text.split("\n") if not line.startswith("  tag: ")]
    anchor = "  repository: \"acme/shop\""
    if anchor not in lines:
        return text  # that line was removed by an earlier mutation
    lines.insert(lines.index(anchor) + 1, f"  tag: {json.dumps(tag)}{comment}")
    return "\n".join(lines)


def verdict(spec: Path, *, fast: bool) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    fastcheck.forget_listings()  # as every command run does
    report = drift.check_app(spec, None, fast=fast)
    return report.status.value, tuple(sorted((file.path, file.status.value) for file in report.files)), report.awaiting


# A mutation: (a strategy's drawn arguments) -> an edit of the charts folder.
Mutation = Callable[[Path], None]


def _overlay(charts: Path, env: str) -> Path:
    return charts / "charts/shop" / f"values.{env}.yaml"


def _application(charts: Path, env: str) -> Path:
    return charts / "argocd" / f"shop-{env}.yaml"


def _rewrite(path: Path, change: Callable[[str], str]) -> None:
    if path.is_file():
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def _drop_line(text: str, pick: int, *, comments: bool) -> str:
    lines = text.split("\n")
    chosen = [i for i, line in enumerate(lines) if line.lstrip().startswith("#") == comments and line]
    if chosen:
        del lines[chosen[pick % len(chosen)]]
    return "\n".join(lines)


def _edit_line(text: str, pick: int, extra: str, *, comments: bool) -> str:
    lines = text.split("\n")
    chosen = [i for i, line in enumerate(lines) if line.lstrip().startswith("#") == comments and line]
    if chosen:
        lines[chosen[pick % len(chosen)]] += extra
    return "\n".join(lines)


def _files(charts: Path) -> list[Path]:
    return sorted(path for path in charts.rglob("*.yaml") if path.is_file())


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, Mutation]:
    kind = draw(st.sampled_from([
        "tag-add", "tag-remove", "tag-change", "tag-pin", "tag-unpin", "comment-remove", "comment-edit",
        "app-delete", "app-edit", "app-add", "header-edit", "line-remove",
    ]))
    env = draw(st.sampled_from(ENVS))
    tag = draw(TAGS)
    pick = draw(st.integers(0, 40))
    extra = draw(st.sampled_from([" ", "x", "  # note", ":", "\t"]))

    def apply(charts: Path) -> None:
        overlay, application = _overlay(charts, env), _application(charts, env)
        if kind in ("tag-add", "tag-change"):
            _rewrite(overlay, lambda text: _set_tag(text, tag))
        elif kind == "tag-remove":
            _rewrite(overlay, lambda text: "\n".join(line for line in text.split("\n") if not line.startswith("  tag: ")))
        elif kind == "tag-pin":
            pin = f"  # pinned by environments[{ENVS.index(env)}].pin in the spec"
            _rewrite(overlay, lambda text: _set_tag(text, tag or "1111111", pin))
        elif kind == "tag-unpin":
            _rewrite(overlay, lambda text: text.replace("  # pinned by environments[2].pin in the spec", ""))
        elif kind in ("comment-remove", "line-remove"):
            target = draw_file(charts, pick)
            _rewrite(target, lambda text: _drop_line(text, pick // 3, comments=kind == "comment-remove"))
        elif kind == "comment-edit":
            _rewrite(draw_file(charts, pick), lambda text: _edit_line(text, pick // 3, extra, comments=True))
        elif kind == "app-delete":
            application.unlink(missing_ok=True)
        elif kind == "app-edit":
            _rewrite(application, lambda text: _edit_line(text, pick, extra, comments=False))
        elif kind == "app-add":
            # An Application for an environment awaiting its first release: a copy of a released one.
            source = _application(charts, "dev")
            if source.is_file() and not application.exists():
                application.write_text(source.read_text(encoding="utf-8").replace("shop-dev", f"shop-{env}")
                                       .replace("values.dev.yaml", f"values.{env}.yaml"), encoding="utf-8")
        elif kind == "header-edit":
            target = draw_file(charts, pick)
            _rewrite(target, lambda text: _edit_line(text, pick // 3, extra, comments=True) if pick % 2
                     else text.replace("# [app:", "# [app:" + extra.strip(), 1))

    return f"{kind}({env}, tag={tag!r}, pick={pick}, extra={extra!r})", apply


def draw_file(charts: Path, pick: int) -> Path:
    files = _files(charts)
    return files[pick % len(files)]


@settings(max_examples=examples(100))
@given(st.lists(mutations(), min_size=1, max_size=3))
def test_fast_and_full_paths_agree_on_every_chart_side_change(base: Path, changes: list[tuple[str, Mutation]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shutil.copytree(base / "app", root / "app")
        shutil.copytree(base / "charts", root / "charts")
        spec = root / "app" / "shipspec.yaml"
        for _name, apply in changes:
            apply(root / "charts")
        fast, full = verdict(spec, fast=True), verdict(spec, fast=False)
        assert fast == full, f"fast {fast} != full {full} after {[name for name, _ in changes]}"
        assert generate([str(spec)], force=True) == 0
        in_sync = verdict(spec, fast=True)
        assert in_sync[:2] == ("in_sync", ()), in_sync
        assert verdict(spec, fast=False) == in_sync


def check_cli(cwd: Path, full: str) -> subprocess.CompletedProcess[str]:
    """`shipspec check` as a user runs it, on the fast path ("") or the full one ("1")."""
    env = {**os.environ, drift.FULL_PATH_ENV: full}
    return subprocess.run([sys.executable, "-m", "shipspec", "check"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_tag_put_by_hand_into_an_awaiting_overlay_is_drift_on_both_paths(tmp_path: Path) -> None:
    """The report of issue 24: an overlay awaiting its first release gets a tag by hand. Both paths
    say drifted (the Application is missing), and generate writes it."""
    (tmp_path / "app").mkdir()
    (tmp_path / "charts").mkdir()
    spec = tmp_path / "app/shipspec.yaml"
    spec.write_text(SPEC.replace('    pin: "1111111"\n', ""), encoding="utf-8")
    assert run_shipspec("generate", cwd=tmp_path / "app").returncode == 0
    overlay = _overlay(tmp_path / "charts", "dev")
    overlay.write_text(overlay.read_text(encoding="utf-8") + '  tag: "abc1234"\n', encoding="utf-8")
    for full in ("", "1"):
        done = check_cli(tmp_path / "app", full)
        assert done.returncode == 1, done.stdout
        assert "missing  ../charts/argocd/shop-dev.yaml" in done.stdout
    done = run_shipspec("generate", cwd=tmp_path / "app")
    assert "created   ../charts/argocd/shop-dev.yaml" in done.stdout, done.stdout
    assert run_shipspec("check", cwd=tmp_path / "app").returncode == 0


def test_a_tag_removed_by_hand_from_a_released_overlay_is_drift_on_both_paths(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "charts").mkdir()
    spec = tmp_path / "app/shipspec.yaml"
    spec.write_text(SPEC.replace('    pin: "1111111"\n', ""), encoding="utf-8")
    overlay = _overlay(tmp_path / "charts", "dev")
    assert run_shipspec("generate", cwd=tmp_path / "app").returncode == 0
    overlay.write_text(_set_tag(overlay.read_text(encoding="utf-8"), "abc1234"), encoding="utf-8")
    assert run_shipspec("generate", cwd=tmp_path / "app").returncode == 0
    overlay.write_text(overlay.read_text(encoding="utf-8").replace('  tag: "abc1234"\n', ""), encoding="utf-8")
    for full in ("", "1"):
        done = check_cli(tmp_path / "app", full)
        assert done.returncode == 1 and "stale    ../charts/argocd/shop-dev.yaml" in done.stdout, done.stdout
