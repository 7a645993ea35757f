"""Which files `generate` may take over without `--force`: an existing overlay or Application
without the shipspec header that means, to Helm and Argo CD, exactly what the spec renders in
its place (render/adoption/argocdview.py), such as the files `shipspec import` adopted. Anything else
without the header stays refused."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..render import header
from ..render.adoption.argocdview import application_differences, same_overlay
from ..spec.validation import LoadedSpec
from .writer import Change


def _data(text: str) -> tuple[bool, Any]:
    try:
        return True, yaml.safe_load(text)
    except yaml.YAMLError:  # several documents, or not YAML: not something to take over
        return False, None


def adopt(loaded: LoadedSpec, charts: Path, changes: Sequence[Change]) -> list[Change]:
    """`changes` with `adopted` set on each foreign file that renders identically."""
    from ..render.core import application_output, values_output
    from .appscan import default_branch
    from .workspace import disk_path

    spec = loaded.spec
    overlays = {disk_path(values_output(spec, env), loaded.directory, charts) for env in spec.environments}
    applications = {disk_path(application_output(spec, env), loaded.directory, charts) for env in spec.environments}
    result, chart_values, branch = [], None, None
    for change in changes:
        if change.old is None or header.is_generated(change.old) or change.path not in overlays | applications:
            result.append(change)
            continue
        ok_old, old = _data(change.old)
        ok_new, new = _data(change.text)
        same = False
        if ok_old and ok_new and change.path in overlays:
            if chart_values is None:
                chart_values = _chart_values(loaded, charts)
            same = same_overlay(old, new, chart_values)
        elif ok_old and ok_new:
            branch = branch or default_branch(charts)
            same = not application_differences(old, new, branch)
        result.append(dataclasses.replace(change, adopted=True) if same else change)
    return result


def _chart_values(loaded: LoadedSpec, charts: Path) -> Any:
    if loaded.spec.charts.chart is not None:  # a published chart: its values are not in the checkout
        return {}
    try:
        text = (charts / (loaded.spec.charts.path or "") / "values.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    ok, data = _data(text)
    return data if ok and isinstance(data, dict) else {}
