#!/usr/bin/env bash
# The whole test suite on a fresh machine: make .venv, install shipspec and the
# test tools into it (Helm into .tools/bin), then run pytest. Extra arguments go
# to pytest:  bash tests/run.sh -k promote -x
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -x .venv/bin/python ]] || python3 -m venv .venv
bash tests/install-tools.sh .venv/bin/python
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
