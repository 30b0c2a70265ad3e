#!/usr/bin/env bash
# Creates .venv-e2e (gitignored) with the official `openai` Python SDK that the end-to-end, crash
# and load tests of `finetune serve` drive the server with. Pinned to the version API.md was read
# from; E2E_OPENAI_VERSION overrides it. Idempotent: returns at once when the venv already holds
# that version. Prints the venv's python path as its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${E2E_VENV:-.venv-e2e}"
VERSION="${E2E_OPENAI_VERSION:-3.54.0}"
PYTHON="${E2E_PYTHON:-python3}"

installed() {
    "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import sys
import openai
sys.exit(0 if openai.__version__ == sys.argv[1] else 1)
PY
}

if [[ -x "$VENV/bin/python" ]] && installed; then
    echo "$VENV/bin/python"
    exit 0
fi

echo "setting up $VENV with openai==$VERSION" >&2
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "openai==$VERSION" >&2
installed || { echo "error: openai $VERSION did not install into $VENV" >&2; exit 1; }
echo "$VENV/bin/python"
