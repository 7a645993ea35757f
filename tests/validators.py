"""Run the real validators on generated output.

Checks return a list of problems (empty means valid); `assert_valid` turns
such a list into an AssertionError. Steps whose failure means the test input
itself is broken (`make -n`, `helm lint`/`template`) raise AssertionError
directly with the tool's output. Every tool is found through `require_tool`,
so a missing one skips locally and fails in CI.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

try:
    from . import argocd_schema
    from .tools import REPO_ROOT, require_tool
except ImportError:  # tests/ is on sys.path rather than imported as a package
    import argocd_schema  # type: ignore[no-redef]
    from tools import REPO_ROOT, require_tool  # type: ignore[no-redef]

YAMLLINT_CONFIG = REPO_ROOT / "tests" / "yamllint.yaml"

# Kubernetes version for `helm template --kube-version` and kubernetes-validate
# (its wheel ships schemas for 1.25 to 1.37). 1.35 is the client version of
# the pinned Helm 4.1.4, so capabilities and schemas agree.
KUBERNETES_VERSION = "1.35.0"


def assert_valid(problems: Sequence[str], what: str) -> None:
    """Raise AssertionError listing `problems` unless there are none."""
    if problems:
        listing = "\n".join(f"  {problem}" for problem in problems)
        raise AssertionError(f"{what} is invalid:\n{listing}")


def _run(args: Sequence[str], *, cwd: Path | None = None, stdin: str | None = None,
         env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, input=stdin, env=dict(env) if env is not None else None,
        capture_output=True, text=True, check=False, timeout=300,
    )


def _describe(proc: subprocess.CompletedProcess[str]) -> str:
    return (f"$ {' '.join(map(str, proc.args))}\nexit {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")


def validate_travis(path: Path | str) -> list[str]:
    """Problems check-jsonschema's vendored Travis schema finds in `path`.

    The schema does not reject unknown keys, so it catches wrong types and
    values, not typos in key names.
    """
    proc = _run([require_tool("check-jsonschema"), "--builtin-schema", "vendor.travis",
                 "--output-format", "json", str(path)])
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [f"check-jsonschema did not report:\n{_describe(proc)}"]
    problems = [f"{p['filename']}: {p['message']}" for p in report.get("parse_errors", [])]
    for error in report.get("errors", []):
        problem = f"{error['path']}: {error['message']}"
        if "best_deep_match" in error:
            problem += f" (best match: {error['best_deep_match']['message']})"
        problems.append(problem)
    if proc.returncode != 0 and not problems:
        problems.append(_describe(proc))
    return problems


def validate_argocd_application(doc: Mapping[str, Any]) -> list[str]:
    """Problems the Argo CD Application CRD schema (made strict) finds in `doc`."""
    return argocd_schema.application_problems(doc)


def validate_yamllint(text_or_path: str | Path) -> list[str]:
    """yamllint findings, errors and warnings alike, with tests/yamllint.yaml.

    A `Path` is linted as a file; a `str` is YAML text.
    """
    args = [require_tool("yamllint"), "--config-file", str(YAMLLINT_CONFIG),
            "--format", "parsable", "--strict"]
    if isinstance(text_or_path, Path):
        proc = _run([*args, str(text_or_path)])
    else:
        proc = _run([*args, "-"], stdin=text_or_path)
    findings = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 and not findings:
        findings.append(_describe(proc))
    return findings


def yamllint_default_errors(path: Path) -> list[str]:
    """yamllint's errors with its DEFAULT config, as a pre-commit setup runs it (warnings allowed)."""
    proc = _run([require_tool("yamllint"), "--config-data", "default", "--format", "parsable", str(path)])
    errors = [line for line in proc.stdout.splitlines() if "[error]" in line]
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not errors):
        errors.append(_describe(proc))
    return errors


def shellcheck_recipe(script_text: str, *, shell: str = "sh",
                      exclude: Iterable[str] = ()) -> list[str]:
    """ShellCheck findings (gcc format) for a shell snippet.

    Make runs recipes with /bin/sh, hence the default dialect. Feed it
    expanded recipe lines (from `make_dry_run`), not raw `$(VAR)` text.
    """
    args = [require_tool("shellcheck"), "--shell", shell, "--format", "gcc"]
    excluded = ",".join(exclude)
    if excluded:
        args.append(f"--exclude={excluded}")
    proc = _run([*args, "-"], stdin=script_text)
    findings = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 and not findings:
        findings.append(_describe(proc))
    return findings


def _make_env() -> dict[str, str]:
    # A suite started from a make recipe inherits these; they would change
    # how the make under test behaves (-n, -k, jobserver, directory messages).
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GNUMAKEFLAGS"}}
    env["LC_ALL"] = "C"
    return env


def make_dry_run(makefile_dir: Path | str, target: str, **variables: str) -> list[str]:
    """Recipe lines `make -n <target> VAR=value...` would run in `makefile_dir`.

    `make -n` still runs `$(shell ...)` and recipe lines marked `+` or using
    `$(MAKE)`.
    """
    args = [require_tool("make"), "--no-print-directory", "-n", "-f", "Makefile", target]
    args += [f"{name}={value}" for name, value in variables.items()]
    proc = _run(args, cwd=Path(makefile_dir), env=_make_env())
    if proc.returncode != 0:
        raise AssertionError(f"make -n {target} failed:\n{_describe(proc)}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


@cache
def _helm_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="shipspec-helm-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def helm_env() -> dict[str, str]:
    """Environment for running helm: a throwaway home, no kubeconfig."""
    # Helm would otherwise create ~/.cache/helm, ~/.config/helm and
    # ~/.local/share/helm (plugins, registry config, content cache), and
    # read ~/.kube/config.
    home = _helm_home()
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECONFIG": str(home / "kubeconfig"),
        "NO_COLOR": "1",
    }


def helm_lint_and_template(chart_dir: Path | str, values_files: Sequence[Path | str] = (),
                           *, release: str = "shipspec-test",
                           namespace: str = "default") -> str:
    """`helm lint --strict`, then `helm template`; returns the rendered manifests."""
    helm = require_tool("helm")
    values = [arg for path in values_files for arg in ("--values", str(path))]
    common = ["--kube-version", KUBERNETES_VERSION, *values]
    lint = _run([helm, "lint", "--strict", str(chart_dir), *common], env=helm_env())
    if lint.returncode != 0:
        raise AssertionError(f"helm lint failed:\n{_describe(lint)}")
    template = _run([helm, "template", release, str(chart_dir), "--namespace", namespace,
                     *common], env=helm_env())
    if template.returncode != 0:
        raise AssertionError(f"helm template failed:\n{_describe(template)}")
    return template.stdout


def kubernetes_validate_strict(manifests_text: str, *,
                               allow_unknown_kinds: bool = False) -> list[str]:
    """kubernetes-validate --strict findings for a multi-document YAML stream.

    A kind it has no schema for (a CRD) is only a warning to the tool; here
    it is a problem unless `allow_unknown_kinds`, so a typo in apiVersion or
    kind cannot pass unchecked.
    """
    proc = _run([require_tool("kubernetes-validate"), "--strict", "--quiet",
                 "--kubernetes-version", KUBERNETES_VERSION, "-"], stdin=manifests_text)
    prefixes = ("ERROR", "FATAL") if allow_unknown_kinds else ("ERROR", "FATAL", "WARN")
    findings = [line for line in proc.stdout.splitlines() if line.startswith(prefixes)]
    if proc.returncode != 0 and not findings:
        findings.append(_describe(proc))
    return findings
