#!/usr/bin/env bash
# Registers a base model in a fresh finetune home for the server tests, without downloading it again:
#   scripts/e2e/register_model.sh FINETUNE_BIN HOME [MODEL]
# The GGUF comes from $E2E_MODEL_GGUF, else from the default finetune home (pulled there first if
# missing, as `make test` does). It is linked into HOME/models/MODEL/ and `finetune models pull`
# then verifies its SHA-256 and registers it as the catalog model, so the server's base model id is
# MODEL. A GGUF that is not the catalog's file is registered with `finetune models add` instead.
set -euo pipefail

BIN="$1"
HOME_DIR="$2"
MODEL="${3:-smollm2-135m-instruct}"

model_path() {
    "$BIN" models list --json | python3 -c '
import json, sys
name = sys.argv[1]
print(next((m["path"] for m in json.load(sys.stdin)["models"] if m["name"] == name and not m["missing"]), ""))
' "$MODEL"
}

GGUF="${E2E_MODEL_GGUF:-}"
if [[ -z "$GGUF" ]]; then
    GGUF="$(model_path)"
    if [[ -z "$GGUF" ]]; then
        "$BIN" models pull "$MODEL" >&2
        GGUF="$(model_path)"
    fi
fi
[[ -f "$GGUF" ]] || { echo "register_model: no GGUF for $MODEL (set E2E_MODEL_GGUF)" >&2; exit 1; }

mkdir -p "$HOME_DIR/models/$MODEL"
LINK="$HOME_DIR/models/$MODEL/$(basename "$GGUF")"
ln -sf "$(cd "$(dirname "$GGUF")" && pwd)/$(basename "$GGUF")" "$LINK"
if ! FINETUNE_HOME="$HOME_DIR" "$BIN" models pull "$MODEL" >/dev/null 2>&1; then
    rm -f "$LINK"
    FINETUNE_HOME="$HOME_DIR" "$BIN" models add "$GGUF" --name "$MODEL" >/dev/null
fi
FINETUNE_HOME="$HOME_DIR" "$BIN" models list --json | python3 -c '
import json, sys
names = [m["name"] for m in json.load(sys.stdin)["models"]]
sys.exit(0 if sys.argv[1] in names else f"register_model: {sys.argv[1]} is not registered: {names}")
' "$MODEL"
