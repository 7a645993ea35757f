"""A battery of broken inputs: always exit 2 with a located message, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import run_shipspec

HEAD = b"apiVersion: shipspec/v1\nkind: App\nname: myapp\n"
LAUGHS = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((c, c) + (c - 1,) * 10) for c in range(98, 108)
)
BROKEN: dict[str, bytes] = {
    "bad-yaml": b"a: [1, 2\nb: {\n",
    "unclosed-quote": b'name: "myapp\n',
    "tabs": b"image:\n\trepository: x\n",
    "wrong-types": HEAD + b"image: [1, 2]\ncharts: 7\nenvironments: {a: 1}\nbranches: [x]\nscan: true\n",
    "nulls-everywhere": b"apiVersion:\nkind:\nname:\nimage:\ncharts:\nenvironments:\nbranches:\ntravis:\n",
    "null-list-items": HEAD + b"image: {repository: a}\ncharts: {repo: 'git@h:o/r'}\nenvironments: [~, ~]\n",
    "huge-numbers": HEAD + b"image: {repository: a, shaLength: 99999999999999999999999999999}\n",
    "floats": HEAD + b"image: {repository: a, shaLength: .inf}\ncharts: {repo: .nan}\n",
    "billion-laughs": LAUGHS,
    "deep-nesting": b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n",
    "deep-mapping": b"".join(b"  " * i + b"k%d:\n" % i for i in range(300)),
    "binary-garbage": bytes(random.Random(7).randrange(256) for _ in range(4096)),
    "latin-1": HEAD.replace(b"myapp", b"caf\xe9"),
    "nul-bytes": HEAD + b"\x00\x00\x00",
    "utf16": "name: myapp\n".encode("utf-16"),
    "only-bom": b"\xef\xbb\xbf",
    "scalar-top": b"just a string\n",
    "list-top": b"- 1\n- 2\n",
    "two-docs": HEAD + b"---\n" + HEAD,
    "python-tag": b"name: !!python/object/apply:os.system ['echo pwned']\n",
    "complex-keys": b"? {a: 1}\n: x\n[1]: y\n",
    "weird-keys": b"1: a\n~: b\n2024-01-01: c\ntrue: d\n",
    "merge-keys": b"x: &x {a: 1}\n<<: *x\n",
    "control-chars": HEAD + b"team: \"a\\x07b\"\n",
    "huge-string": HEAD + b"team: " + b"x" * 900_000 + b"\n",
    "too-big": b"# x\n" * 400_000,
    "unicode-keys": "nämé: ✓\n\u2028: x\n".encode(),
    "secrets-only": HEAD + b"travis: {secure: [1, true, null, [a]], slack: {secure: 5}}\n",
    "values-weird": HEAD + b"image: {repository: a}\ncharts: {repo: 'git@h:o/r'}\nenvironments:\n- {name: dev, values: 5}\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_input(name: str, tmp_path: Path) -> None:
    (tmp_path / "shipspec.yaml").write_bytes(BROKEN[name])
    result = run_shipspec("validate", "shipspec.yaml", cwd=tmp_path, timeout=20)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("shipspec.yaml:") or first.startswith("shipspec.yaml: "), first


def test_directory_named_like_a_spec(tmp_path: Path) -> None:
    (tmp_path / "shipspec.yaml").mkdir()
    result = run_shipspec("validate", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "shipspec.yaml" in result.stderr


def test_unreadable_spec(tmp_path: Path) -> None:
    spec = tmp_path / "shipspec.yaml"
    spec.write_bytes(HEAD)
    spec.chmod(0)
    try:
        if spec.open("rb"):  # root reads anything: nothing to test then
            pytest.skip("running as root")
    except PermissionError:
        pass
    result = run_shipspec("validate", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("shipspec.yaml: cannot read: Permission denied")


def test_special_file_is_not_a_spec(tmp_path: Path) -> None:
    result = run_shipspec("validate", "/dev/null", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
