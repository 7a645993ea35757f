"""Hatch build hook: the wheel ships the Jinja templates compiled to Python modules
(`shipspec/compiled_templates/`), so no shipspec process compiles them at start.
How and when they are used: generator/templating.py."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompiledTemplates(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location("shipspec_templating", root / "generator" / "templating.py")
        assert spec is not None and spec.loader is not None
        templating = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(templating)
        self._scratch = Path(tempfile.mkdtemp(prefix="shipspec-templates-"))
        templating.compile_all(root / "templates", self._scratch)
        build_data["force_include"][str(self._scratch)] = "shipspec/compiled_templates"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
