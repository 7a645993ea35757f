"""Golden cases: every valid spec loads; every invalid one fails with exactly the expected lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipspec.errors import InvalidSpec
from shipspec.files.specfile import load

CASES = Path(__file__).parent / "cases"
VALID = sorted(p.parent for p in (CASES / "valid").glob("*/shipspec.yaml"))
INVALID = sorted(p.parent for p in (CASES / "invalid").glob("*/shipspec.yaml"))


def test_there_are_cases() -> None:
    assert len(VALID) >= 10 and len(INVALID) >= 40


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    loaded = load(Path("shipspec.yaml"))
    assert loaded.spec.branches, "a valid spec always has its branches table resolved"


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    with pytest.raises(InvalidSpec) as caught:
        load(Path("shipspec.yaml"))
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [str(problem) for problem in caught.value.problems] == expected


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_messages_are_located(case: Path) -> None:
    for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert line.startswith("shipspec.yaml"), line
        for leak in ("Traceback", "pydantic", "[key]", "Input should", "input_value"):
            assert leak not in line, line
