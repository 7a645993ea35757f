#!/usr/bin/env bash
# The whole test suite on a fresh machine: make .venv, install shipspec (from this tree) and the
# test tools into it (Helm into .tools/bin), then run pytest. Extra arguments go
# to pytest:  bash tests/run.sh -k promote -x
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -x .venv/bin/python ]] || python3 -m venv .venv
bash tests/install-tools.sh .venv/bin/python
# Not editable: the source folder generator/ installs as the package `shipspec`, a rename that
# editable installs cannot do. Reinstalled every run, so the tests always see this tree.
.venv/bin/python -m pip install -q --disable-pip-version-check '.[test]'
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --force-reinstall .
exec .venv/bin/python -m pytest "$@"
