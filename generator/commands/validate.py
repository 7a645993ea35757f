"""`shipspec validate`: load and validate specs, report every problem."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import EXIT_OK, EXIT_USAGE, InvalidSpec
from ..files import valueschema
from ..files.discovery import find_specs
from ..files.paths import display_path
from ..files.specfile import load
from ..output import emit_json, err, out, plural


def run(arguments: Sequence[str], *, output_format: str = "text") -> int:
    results = []
    for path in find_specs(arguments):
        try:
            loaded = load(path)
            charts = loaded.directory / loaded.spec.charts.checkout
            if charts.is_dir():  # the chart's own values schema, when there is a checkout to read it from
                valueschema.verify(loaded, charts)
            problems = []
        except InvalidSpec as exc:
            problems = exc.problems
        results.append({"path": display_path(path), "valid": not problems, "problems": problems})
    invalid = [r for r in results if not r["valid"]]
    if output_format == "json":
        emit_json({
            "valid": not invalid,
            "specs": [{**r, "problems": [p.as_dict() for p in r["problems"]]} for r in results],
        })
    else:
        for result in invalid:
            for problem in result["problems"]:
                err(str(problem))
        valid = len(results) - len(invalid)
        summary = f"{plural(len(results), 'spec')} checked: {valid} valid, {len(invalid)} invalid"
        (err if invalid else out)(summary)
    return EXIT_USAGE if invalid else EXIT_OK
