"""Run the shipspec of a source tree: `python source_shipspec.py TREE ARGS...`.

The package's source folder is `generator/` but it is the package `shipspec`
(its imports are relative), so a snapshot of a commit is imported under that
name without installing it: `benchmarks/run.py --commit` measures exactly
that commit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> None:
    package = Path(sys.argv.pop(1)) / "generator"
    spec = importlib.util.spec_from_file_location(
        "shipspec", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["shipspec"] = module
    spec.loader.exec_module(module)
    from shipspec.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
