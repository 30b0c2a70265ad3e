#!/usr/bin/env bash
# Creates .venv-mlflow (gitignored) with MLflow, whose tracking server the ExperimentTracking tests
# and scripts/e2e/mlflow_cli.py log to (scripts/mlflow/server.py starts one). Pinned to the version
# the client was checked against; MLFLOW_VERSION overrides it. Idempotent: returns at once when the
# venv already holds that version. Takes about a minute and 850 MB the first time. Prints the
# venv's python path (absolute) as its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${MLFLOW_VENV:-.venv-mlflow}"
VERSION="${MLFLOW_VERSION:-3.17.2}"
PYTHON="${MLFLOW_PYTHON:-python3}"

installed() {
    # Read the version from the package metadata: importing mlflow takes seconds.
    "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("mlflow") == sys.argv[1] else 1)
PY
}

if [[ -x "$VENV/bin/python" ]] && installed; then
    echo "$(cd "$VENV" && pwd)/bin/python"
    exit 0
fi

echo "setting up $VENV with mlflow==$VERSION (about a minute, 850 MB)" >&2
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "mlflow==$VERSION" >&2
installed || { echo "error: mlflow $VERSION did not install into $VENV" >&2; exit 1; }
echo "$(cd "$VENV" && pwd)/bin/python"
