"""Oversized and explosive specs are refused quickly, with a clear message, in bounded memory.

Each input runs `shipspec validate` in a fresh process; its peak RSS comes
from resource.getrusage(RUSAGE_CHILDREN) measured in a wrapper process, so
earlier children of the test run do not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from shipspec.spec import loader, model

HEAD = b"apiVersion: shipspec/v1\nkind: App\nname: a\nimage: {repository: a/b}\ncharts: {repo: 'git@h:o/c.git'}\n"
# Generous: the interpreter with pydantic and PyYAML alone takes ~40 MiB; a spec needs a few MiB on top.
MAX_RSS_MIB = 120
# CPU seconds (user + system of the child) beyond interpreter start-up (the baseline), never wall time:
# a busy machine stretches wall time without any more work done. Measured: 0.0-0.5 s of CPU.
MAX_CPU_SECONDS = 1.5

_WRAPPER = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": proc.returncode, "err": proc.stderr, "out": proc.stdout,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "rss_mib": usage.ru_maxrss / 1024}))
"""


def measure(spec: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, sys.executable, "-m", "shipspec", *args, str(spec)],
                          capture_output=True, text=True, env=env, timeout=60, check=True)
    return json.loads(proc.stdout)


def bomb(levels: int) -> bytes:
    lines = [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [b"a%d: &a%d [%s]" % (i, i, b", ".join([b"*a%d" % (i - 1)] * 10)) for i in range(1, levels)]
    return b"\n".join(lines) + b"\n"


def deep(levels: int) -> bytes:
    return HEAD + b"environments:\n  - name: dev\n    values:\n" + b"".join(
        b" " * (6 + 2 * i) + b"k:\n" for i in range(levels)) + b" " * (6 + 2 * levels) + b"v\n"


CASES = {
    "alias bomb (10^9 values)": (bomb(9), f"more than {loader.MAX_NODES} values"),
    "alias bomb of long strings": (b"a: &a " + b"x" * 1000 + b"\nb: &b [" + b"*a, " * 9000 + b"*a]\n",
                                   "MiB of text after expanding aliases"),
    "10 MB spec": (HEAD + b"# " + b"x" * 10_000_000 + b"\n", f"larger than {loader.MAX_BYTES // 1024} KiB"),
    "deeply nested values": (deep(200), f"nested deeper than {loader.MAX_DEPTH} levels"),
    "deeply nested flow": (b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "exceeded maximum nesting depth"),
    "10,000 environments": (HEAD + b"environments:\n" + b"".join(b"  - {name: e%d}\n" % i for i in range(10_000))
                            + b"branches: {main: {deploy: [e0]}}\n",
                            f"must have at most {model.MAX_ENVIRONMENTS} entries"),
    "10,000 branches": (HEAD + b"branches:\n" + b"".join(b"  b%d: {deploy: [dev]}\n" % i for i in range(10_000)),
                        f"must have at most {model.MAX_BRANCHES} entries"),
}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict:
    spec = tmp_path_factory.mktemp("baseline") / "shipspec.yaml"
    spec.write_bytes(HEAD)
    result = measure(spec, "validate")
    assert result["code"] == 0, result["err"]
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_quickly_clearly_and_in_bounded_memory(name: str, tmp_path: Path, baseline: dict) -> None:
    data, message = CASES[name]
    spec = tmp_path / "shipspec.yaml"
    spec.write_bytes(data)
    result = measure(spec, "validate")
    assert result["code"] == 2, result
    assert message in result["err"] and "shipspec.yaml" in result["err"], result["err"]
    assert "Traceback" not in result["err"]
    extra_cpu = result["cpu_seconds"] - baseline["cpu_seconds"]
    assert extra_cpu < MAX_CPU_SECONDS, (name, result["cpu_seconds"], baseline["cpu_seconds"])
    assert result["rss_mib"] < MAX_RSS_MIB, (name, result["rss_mib"])


def test_the_limits_are_the_documented_numbers() -> None:
    # README "Security" states these; change both together.
    assert (loader.MAX_BYTES, loader.MAX_NODES, loader.MAX_DEPTH, loader.MAX_TEXT) == (1 << 20, 100_000, 64, 8 << 20)
    assert (model.MAX_ENVIRONMENTS, model.MAX_BRANCHES) == (50, 100)


def test_a_spec_just_under_the_limits_still_works_in_time(tmp_path: Path, baseline: dict) -> None:
    envs = b"".join(b"  - {name: e%d, values: {a: [%s]}}\n" % (i, b",".join([b"1"] * 100)) for i in range(50))
    spec = tmp_path / "shipspec.yaml"
    spec.write_bytes(HEAD + b"environments:\n" + envs + b"branches: {main: {deploy: [e0]}}\n")
    result = measure(spec, "validate")
    assert result["code"] == 0, result["err"]
    assert result["cpu_seconds"] - baseline["cpu_seconds"] < 10 * MAX_CPU_SECONDS
    assert result["rss_mib"] < MAX_RSS_MIB
