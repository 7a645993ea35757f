"""`shipspec validate` and `shipspec schema` through the CLI: every exit code and output shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT, run_shipspec
from shipspec import __version__
from shipspec.cli import cli

CASES = REPO_ROOT / "tests" / "cases"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), standalone_mode=False, catch_exceptions=False)
    return result.return_value if result.return_value is not None else result.exit_code, result.stdout, result.stderr


def test_valid_spec_exits_0(repo_root: Path) -> None:
    code, out, err = invoke("validate", str(repo_root / "sample-projects" / "myapp" / "shipspec.yaml"))
    assert (code, out, err) == (0, "1 spec checked: 1 valid, 0 invalid\n", "")


def test_invalid_spec_exits_2_with_the_case_lines() -> None:
    case = CASES / "invalid" / "several-problems"
    result = run_shipspec("validate", "shipspec.yaml", cwd=case)
    assert result.returncode == 2 and result.stdout == ""
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert result.stderr == expected + "1 spec checked: 0 valid, 1 invalid\n"


def test_default_spec_is_the_one_in_the_working_directory() -> None:
    assert run_shipspec("validate", cwd=CASES / "valid" / "minimal").returncode == 0
    assert run_shipspec("validate", cwd=CASES / "invalid" / "wrong-kind").returncode == 2


def test_no_spec_in_working_directory(tmp_path: Path) -> None:
    result = run_shipspec("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "shipspec: no shipspec.yaml in this directory; pass a spec file or a directory of specs\n"


def test_missing_path(tmp_path: Path) -> None:
    result = run_shipspec("validate", "nope.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, "shipspec: nope.yaml: no such file or directory\n")


def test_directory_of_specs(tmp_path: Path) -> None:
    for name, case in [("a", "valid/minimal"), ("b/c", "invalid/wrong-kind"), ("d", "valid/full")]:
        (tmp_path / name).mkdir(parents=True)
        shutil.copy(CASES / case / "shipspec.yaml", tmp_path / name / "shipspec.yaml")
    (tmp_path / ".git" / "x").mkdir(parents=True)  # skipped, like node_modules
    shutil.copy(CASES / "invalid/wrong-kind/shipspec.yaml", tmp_path / ".git" / "x" / "shipspec.yaml")
    (tmp_path / "other.yaml").write_text("not: a spec\n")  # only files named shipspec.yaml count
    result = run_shipspec("validate", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "b/c/shipspec.yaml:2:7: kind: must be 'App', got string 'Application'",
        "3 specs checked: 2 valid, 1 invalid",
    ]


def test_every_sample_project_is_valid(repo_root: Path) -> None:
    result = run_shipspec("validate", "sample-projects", cwd=repo_root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(" invalid\n") and ", 0 invalid" in result.stdout


def test_json_format_shape() -> None:
    result = run_shipspec(
        "validate", "--format", "json", "invalid/duplicate-key/shipspec.yaml", "valid/minimal", cwd=CASES
    )
    assert result.returncode == 2 and result.stderr == ""
    report = json.loads(result.stdout)
    assert report == {
        "valid": False,
        "specs": [
            {
                "path": "invalid/duplicate-key/shipspec.yaml",
                "valid": False,
                "problems": [
                    {
                        "path": "invalid/duplicate-key/shipspec.yaml",
                        "line": 9,
                        "column": 1,
                        "field": "name",
                        "message": "duplicate key (first defined on line 4)",
                        "hint": None,
                    }
                ],
            },
            {"path": "valid/minimal/shipspec.yaml", "valid": True, "problems": []},
        ],
    }


def test_json_format_valid() -> None:
    result = run_shipspec("validate", "--format=json", cwd=CASES / "valid" / "full")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "valid": True, "specs": [{"path": "shipspec.yaml", "valid": True, "problems": []}]
    }


def test_json_file_level_problem_has_null_position(tmp_path: Path) -> None:
    (tmp_path / "shipspec.yaml").write_bytes(b"name: a\x00\n")  # no position for a NUL byte
    result = run_shipspec("validate", "--format", "json", cwd=tmp_path)
    (problem,) = json.loads(result.stdout)["specs"][0]["problems"]
    assert (problem["line"], problem["column"], problem["field"]) == (None, None, "")


def test_json_empty_file_is_located_at_its_start() -> None:
    result = run_shipspec("validate", "--format", "json", cwd=CASES / "invalid" / "empty-file")
    (problem,) = json.loads(result.stdout)["specs"][0]["problems"]
    assert (problem["line"], problem["column"], problem["field"]) == (1, 1, "")


def test_schema_command() -> None:
    code, out, err = invoke("schema")
    assert code == 0 and err == ""
    assert json.loads(out)["title"] == "shipspec v1 app spec"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = run_shipspec(flag)
    assert (result.returncode, result.stdout) == (0, f"shipspec {__version__}\n")


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["validate", "--help"], ["schema", "--help"]])
def test_help(args: list[str]) -> None:
    result = run_shipspec(*args)
    assert result.returncode == 0 and result.stdout.startswith("Usage: shipspec")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bogus"], "No such command 'bogus'"),
        (["validate", "--format", "xml"], "Invalid value for '--format'"),
        (["schema", "extra"], "unexpected extra argument"),
        (["validate", "--nope"], "No such option"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run_shipspec(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_directory_without_specs_is_a_usage_error(tmp_path: Path) -> None:
    result = run_shipspec("validate", str(tmp_path))
    assert result.returncode == 2 and "no shipspec.yaml" in result.stderr


def test_a_device_is_not_a_spec() -> None:
    result = run_shipspec("validate", "/dev/null")
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_the_console_script_exits_at_once_with_its_output_whole() -> None:
    """`main()` ends the process with os._exit (no teardown of every object): stdout and stderr must
    still arrive whole through pipes, and the exit code unchanged."""
    schema = run_shipspec("schema")
    assert schema.returncode == 0 and len(schema.stdout) > 10_000
    assert json.loads(schema.stdout) == json.loads((REPO_ROOT / "schemas" / "shipspec.schema.json").read_text())
    spec = str(CASES / "invalid" / "several-problems" / "shipspec.yaml")
    invalid = run_shipspec("validate", spec)
    assert (invalid.returncode, invalid.stdout, invalid.stderr) == invoke("validate", spec)
    assert invalid.returncode == 2 and invalid.stderr.count("\n") > 2
