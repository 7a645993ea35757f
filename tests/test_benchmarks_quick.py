"""The benchmark's inputs: deterministic workloads of valid specs, and a floor that gives real verdicts.

Timings are not tested here (CI runs `benchmarks/run.py --quick` for that).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shipspec.files.specfile import load

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import workload  # noqa: E402


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_workload_twice_is_the_same_bytes(tmp_path: Path) -> None:
    workload.create(tmp_path / "one", 6, git=False)
    workload.create(tmp_path / "two", 6, git=False)
    first, second = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert len(first) == 12  # a spec and a Chart.yaml per app
    assert first == second


def test_seed_changes_the_workload(tmp_path: Path) -> None:
    workload.create(tmp_path / "one", 2, seed=1, git=False)
    workload.create(tmp_path / "two", 2, seed=2, git=False)
    assert _files(tmp_path / "one") != _files(tmp_path / "two")


def test_small_workload_is_a_prefix_of_a_large_one(tmp_path: Path) -> None:
    workload.create(tmp_path / "small", 1, git=False)
    workload.create(tmp_path / "large", 3, git=False)
    small, large = _files(tmp_path / "small"), _files(tmp_path / "large")
    assert small.items() <= large.items()
    assert large["apps/app0001/shipspec.yaml"] != large["apps/app0002/shipspec.yaml"]


def test_every_spec_is_valid_for_shipspec(tmp_path: Path) -> None:
    workload.create(tmp_path, 20, git=False)
    for spec in sorted((tmp_path / "apps").glob("*/shipspec.yaml")):
        loaded = load(spec)
        assert loaded.spec.name == spec.parent.name
        assert [env.name for env in loaded.spec.environments] == ["dev", "stag", "prod"]


def test_about_thirty_percent_of_value_strings_are_yaml_hostile() -> None:
    shares = [workload.hostile_share(index) for index in range(1, 101)]
    assert 0.25 <= sum(shares) / len(shares) <= 0.35


def test_broken_specs_are_invalid_for_shipspec(tmp_path: Path) -> None:
    from shipspec.errors import InvalidSpec

    workload.create(tmp_path, 8, git=False)
    broken = workload.break_specs(tmp_path, 4)
    assert len(set(broken)) == 4
    for spec in broken:
        with pytest.raises(InvalidSpec):
            load(spec)


def _floor(root: Path, action: str) -> int:
    command = [sys.executable, str(BENCHMARKS / "floor.py"), action, "apps"]
    return subprocess.run(command, cwd=root, capture_output=True, check=False).returncode


def test_floor_verdicts(tmp_path: Path) -> None:
    workload.create(tmp_path, 4, git=False)
    assert _floor(tmp_path, "generate") == 0
    assert workload.root_pipeline(tmp_path).is_file()  # outside git: where the floor runs, never above it
    before = _files(tmp_path)
    assert _floor(tmp_path, "generate") == 0 and _files(tmp_path) == before
    assert _floor(tmp_path, "check") == 0
    workload.drift(tmp_path, 2)
    assert _floor(tmp_path, "check") == 1
    workload.break_specs(tmp_path, 1)
    assert _floor(tmp_path, "check") == 2


def _pairs(a: tuple[float, float], b: tuple[float, float]):  # (wall, cpu) of each side, 3 pairs
    from measure import Pairs, Sample

    result = Pairs()
    for _ in range(3):
        result.a.samples.append(Sample(a[0], 20.0, 0, a[1]))
        result.b.samples.append(Sample(b[0], 20.0, 0, b[1]))
    return result


def test_the_quick_gate_catches_a_cpu_regression_that_parallel_workers_hide() -> None:
    import report

    hidden = _pairs((1.0, 3.0), (1.0, 1.0))  # same wall time, three times the CPU (two busy workers)
    row = report.Row("check 200 apps, full path", "a", "b", hidden, 1.0, 1.3, cpu_target=1.2)
    assert hidden.cpu_ratio == 3.0 and row.verdict() == "above target (CPU)"
    assert report.exit_code([row], gate=2.5) == 1
    assert report.exit_code([report.Row("t", "a", "b", hidden, 1.0, 1.3)], gate=2.5) == 0  # no CPU target
    assert "(3.00x)" in report.markdown([row], machine="m", sizes=(1, 50, 200))


def test_lean_specs_are_small_valid_and_have_three_environments(tmp_path: Path) -> None:
    workload.create(tmp_path, 20, git=False, lean=True)
    assert (tmp_path / "charts").is_dir() and not any((tmp_path / "charts").iterdir())  # an empty checkout
    specs = sorted((tmp_path / "apps").glob("*/shipspec.yaml"))
    sizes = [len(spec.read_bytes()) for spec in specs]
    assert 900 <= sum(sizes) / len(sizes) <= 1200
    assert all(45 <= spec.read_text(encoding="utf-8").count("\n") <= 52 for spec in specs)
    for spec in specs:
        loaded = load(spec)
        assert [env.name for env in loaded.spec.environments] == ["dev", "stag", "prod"]
    assert workload.break_specs(tmp_path, 4)  # the same breakages apply


def _lean_floor(root: Path, action: str) -> int:
    command = [sys.executable, str(BENCHMARKS / "lean_floor.py"), action, "apps"]
    return subprocess.run(command, cwd=root, capture_output=True, check=False).returncode


def test_lean_floor_renders_seven_files_per_released_app_and_the_root_pipeline(tmp_path: Path) -> None:
    workload.create(tmp_path, 3, git=False, lean=True)
    assert _lean_floor(tmp_path, "generate") == 0
    workload.release_all(tmp_path)
    assert _lean_floor(tmp_path, "check") == 0  # the tag is read from the overlay it compares
    assert _lean_floor(tmp_path, "generate") == 0
    assert all(len(workload.generated_files(tmp_path, f"app000{n}")) == 7 for n in (1, 2, 3))
    assert all(path.is_file() for n in (1, 2, 3) for path in workload.generated_files(tmp_path, f"app000{n}"))
    # Outside a git repository the root is where the floor runs: never above the workload.
    assert workload.root_pipeline(tmp_path).is_file()
    assert 'tag: "0a1b2c3"' in (tmp_path / "charts/charts/app0002/values.prod.yaml").read_text(encoding="utf-8")
    before = _files(tmp_path)
    assert _lean_floor(tmp_path, "generate") == 0 and _files(tmp_path) == before
    workload.drift(tmp_path, 2)
    assert _lean_floor(tmp_path, "check") == 1
    for breakage in range(4):  # every kind of broken spec is invalid for the lean floor too
        root = tmp_path / f"broken{breakage}"
        workload.create(root, 4, git=False, lean=True)
        broken = workload.break_specs(root, 4)[breakage]
        for other in set((root / "apps").glob("*/shipspec.yaml")) - {broken}:
            other.unlink()
        assert _lean_floor(root, "check") == 2


def test_shipspec_renders_the_same_eight_files_on_the_released_lean_workload(tmp_path: Path) -> None:
    import os

    workload.create(tmp_path, 2, git=False, lean=True)
    shipspec = [str(Path(sys.executable).with_name("shipspec")), "generate", "apps"]
    subprocess.run(shipspec, cwd=tmp_path, check=True, capture_output=True)
    workload.release_all(tmp_path)
    subprocess.run(shipspec, cwd=tmp_path, check=True, capture_output=True,
                   env={**os.environ, "SHIPSPEC_FULL_CHECK": "1"})
    assert all(path.is_file() for path in workload.generated_files(tmp_path, "app0002"))


def test_instructions_per_app_and_the_quick_gate_covers_the_lean_rows() -> None:
    import report

    rows = [report.Instructions("shipspec", 50, 150, 1_000, 2_000), report.Instructions("lean floor", 50, 150, 900, 1_400),
            report.Instructions("floor", 50, 150, None, 1)]
    assert rows[0].per_app == 10 and rows[1].per_app == 5 and rows[2].per_app is None
    text = report.markdown([], machine="m", sizes=(1, 50, 200), instructions=rows)
    assert "| shipspec | 50 | 0.000 G | 150 | 0.000 G | 0.00 M | 2.00x |" in text and "failed" in text
    slow = _pairs((1.0, 2.6), (1.0, 1.0))
    lean = report.Row("check 50 lean apps, full path vs lean floor", "a", "b", slow, 1.0, 1.3, cpu_target=1.2)
    assert report.exit_code([lean], gate=2.5) == 1
