"""Simulators of the three CI providers, for tests that prove a generated pipeline by its behaviour.

Each simulator takes a generated CI file, an event and a real git repository, decides which jobs
the provider would create (with the provider's own rules, cited in each module), makes the checkout
the way that provider's runner makes it, and runs the jobs' shell commands with stub `make` and
`docker` on PATH that only log their argv (the real `shipspec` stays real).

    github.simulate(source, workflow, event)   -> Run
    gitlab.simulate(source, ci_file, event)    -> Run
    travis.simulate(source, travis_file, event) -> Run

`common` holds the result types, the stubs and the checkout helper they share.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:  # the evaluators next door (gitlab_rules, travis_conditions, tools)
    sys.path.insert(0, _TESTS)
