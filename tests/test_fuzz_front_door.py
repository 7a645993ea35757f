"""The front door: whatever a spec file holds, validate/generate/check answer 0 or 2, never crash.

Inputs are arbitrary bytes, arbitrary YAML documents and mutations of a valid
spec (a field dropped, retyped, duplicated, renamed or nested deeper). Each
command must exit 0 with valid output, or 2 (1 for check's drift) with a
message naming the spec file, and never 70 (internal error) or a traceback;
a failing generate leaves every byte and mtime of the tree as it was. Every
input that ever failed is kept in tests/cases/fuzz-corpus/ and replayed.
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, run_shipspec
from shipspec.cli import cli, main
from travis_conditions import evaluate

CORPUS = Path(__file__).parent / "cases" / "fuzz-corpus"
# Every field set; its charts checkout moved next to the app, inside each example's temp dir.
VALID = (Path(__file__).parent / "cases" / "valid" / "full" / "shipspec.yaml").read_text(encoding="utf-8").replace(
    "checkout: ../../charts", "checkout: ../charts")
HAS_CHECK = "check" in cli.commands


def shipspec(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0), out.getvalue(), err.getvalue()


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file()}


def assert_front_door(raw: bytes) -> None:
    """The property, for one spec file's bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = root / "app" / "shipspec.yaml"
        spec.parent.mkdir()
        (root / "charts").mkdir()
        spec.write_bytes(raw)
        code, _, err = shipspec("validate", str(spec))
        _assert_answer(code, err, {0, 2})
        before = snapshot(root)
        gen_code, _, err = shipspec("generate", str(spec))
        _assert_answer(gen_code, err, {0, 2})
        if gen_code == 2:
            assert snapshot(root) == before, "generate exited 2 but changed the tree"
        else:
            assert code == 0, "generate accepted a spec that validate refused"
            _assert_valid_output(root)
        if HAS_CHECK:
            check_code, out, err = shipspec("check", str(spec))
            _assert_answer(check_code, out + err, {0, 1, 2})  # check's report is on stdout
            assert (check_code == 0) == (gen_code == 0), err


def _assert_answer(code: int, err: str, allowed: set[int]) -> None:
    assert code in allowed, f"exit {code}:\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert "shipspec.yaml" in err, f"exit 2 without naming the spec:\n{err}"


def _assert_valid_output(root: Path) -> None:
    for path in [*root.rglob("*.yaml"), *root.rglob(".travis.yml")]:
        if path.name != "shipspec.yaml":
            assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path
    travis = yaml.safe_load((root / "app" / ".travis.yml").read_text(encoding="utf-8"))
    for job in travis["jobs"]["include"]:
        evaluate(job["if"], {"type": "push", "branch": "main", "tag": ""})  # parses, or raises
    assert not list(root.rglob("*.tmp"))


# --- strategies -----------------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**65), 2**65), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["shipspec/v1", "App", "dev", "prod", "", "{{ x }}"]))
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=25)


def _paths(node: Any, loc: tuple = ()) -> list[tuple]:
    found = [loc] if loc else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*loc, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*loc, i))
    return found


def _parent(data: Any, loc: tuple) -> Any:
    for part in loc[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_specs(draw: st.DrawFn) -> bytes:
    data = yaml.safe_load(VALID)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        loc = draw(st.sampled_from(paths))
        parent, last = _parent(data, loc), loc[-1]
        kind = draw(st.sampled_from(["drop", "retype", "rename", "nest", "nest-list"]))
        if kind == "drop":
            del parent[last]
        elif kind == "retype":
            value = draw(scalars | st.just([]) | st.just({}) | st.just([{"a": 1}]))
            # charts.checkout is where generate writes: never aim it outside the temp dir.
            parent[last] = 12 if loc == ("charts", "checkout") and isinstance(value, str) else value
        elif kind == "rename" and isinstance(last, str):
            parent[last + draw(st.sampled_from(["s", "_", "X"]))] = parent.pop(last)
        elif kind.startswith("nest"):
            parent[last] = {"value": parent[last]} if kind == "nest" else [copy.deepcopy(parent[last])]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    lines = text.splitlines(keepends=True)
    if draw(st.booleans()):  # a duplicated key: repeat one `key: value` line in place
        i = draw(st.integers(0, len(lines) - 1))
        if ":" in lines[i] and not lines[i].rstrip().endswith(":"):
            lines.insert(i, lines[i].replace("- ", "  ", 1))
    return "".join(lines).encode("utf-8")


# --- properties -----------------------------------------------------------------------------------

@settings(max_examples=examples(60))
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    assert_front_door(raw)


@settings(max_examples=examples(60))
@given(documents)
def test_arbitrary_yaml_documents(data: Any) -> None:
    assert_front_door(yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))


@settings(max_examples=examples(120))
@given(mutated_specs())
def test_mutations_of_a_valid_spec(raw: bytes) -> None:
    assert_front_door(raw)


def test_the_unmutated_spec_generates() -> None:
    # Guards the property above: if the base spec were invalid, every mutation would trivially be refused.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "app").mkdir()
        (root / "charts").mkdir()
        (root / "app" / "shipspec.yaml").write_text(VALID)
        assert shipspec("generate", str(root / "app" / "shipspec.yaml"))[0] == 0


@pytest.mark.parametrize("case", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_corpus(case: Path) -> None:
    assert_front_door(case.read_bytes())


@pytest.mark.parametrize("name", ["bom.yaml", "tags.yaml", "retyped.yaml", "not-utf8.yaml"])
def test_corpus_through_a_real_process(tmp_path: Path, name: str) -> None:
    spec = tmp_path / "shipspec.yaml"
    spec.write_bytes((CORPUS / name).read_bytes())
    for command in ("validate", "generate"):
        result = run_shipspec(command, str(spec))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "shipspec.yaml" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shipspec.yaml"]
