#!/usr/bin/env bash
# Benchmark: `finetune serve` under load. 50 concurrent OpenAI SDK clients (AsyncOpenAI) for 60 s
# list jobs, read events and chat (max_tokens 8) with the base, a fine-tuned and a checkpoint
# model while a LoRA job trains; reports p50/p99 latency per request kind, errors (must be zero)
# and the training speed under load against alone (bench/serve_load.py).
#
# Run from the repository root (`make bench` does, after building the release binary and pulling
# the model). Uses .venv-e2e (scripts/e2e/setup_venv.sh) and a fresh finetune home in
# .bench/serve-home. BENCH_CLIENTS, BENCH_DURATION and BENCH_ALONE (seconds of training alone,
# before and after the load) change the defaults. Writes .bench/serve.json and .bench/serve.md.
# Exits non-zero when a request fails.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL="${1:-smollm2-135m-instruct}"
CLIENTS="${BENCH_CLIENTS:-50}"
DURATION="${BENCH_DURATION:-60}"
ALONE="${BENCH_ALONE:-20}"
BIN="${FINETUNE_BIN:-$(swift build -c release --show-bin-path)/finetune}"
[[ -x "$BIN" ]] || { echo "serve_bench: $BIN is missing; run \`make build\` first" >&2; exit 1; }

mkdir -p .bench
HOME_DIR="$PWD/.bench/serve-home"
WORK="$PWD/.bench/serve"
rm -rf "$HOME_DIR" "$WORK"
mkdir -p "$WORK/pids"
export E2E_PID_DIR="$WORK/pids"
cleanup() {
    local file
    for file in "$E2E_PID_DIR"/*.pid; do
        [[ -e "$file" ]] && kill -KILL "$(cat "$file")" 2>/dev/null
    done
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PYTHON="$(scripts/e2e/setup_venv.sh | tail -1)"
scripts/e2e/register_model.sh "$BIN" "$HOME_DIR" "$MODEL"

echo "== finetune serve: $CLIENTS clients for ${DURATION}s while a job trains ($BIN)"
"$PYTHON" bench/serve_load.py --finetune-bin "$BIN" --home "$HOME_DIR" --model "$MODEL" --workdir "$WORK" \
    --clients "$CLIENTS" --duration "$DURATION" --alone "$ALONE" --json .bench/serve.json --markdown .bench/serve.md
