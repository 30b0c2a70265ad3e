#!/usr/bin/env bash
# End-to-end tests of `finetune serve` with the official OpenAI Python SDK; `make test` runs this
# after the Swift tests. It builds nothing: it uses the debug binary (`swift build` output), or
# $FINETUNE_BIN.
#
#   1. openai_workflow.py: the reference documents' workflow and the error cases, against a server
#      started here with --api-key, on a temporary finetune home;
#   2. crash_test.py: SIGKILL and SIGTERM mid-training, restart, the job finishes intact;
#   3. cli_providers.py: `finetune train --provider openai --base-url …` and the `jobs`, `upload`,
#      `models hosted` and `runs` commands against a real server: records, Ctrl-C, a server that dies
#      mid-run, cancelled and failing jobs, bad keys; `finetune eval` through the provider;
#   4. mlflow_cli.py: `finetune train` and `finetune eval` with --mlflow against a real MLflow server
#      (.venv-mlflow, scripts/mlflow/setup_venv.sh), checked with MLflow's own client.
#
# Sets up .venv-e2e (scripts/e2e/setup_venv.sh) on first use. Every server started is killed on
# exit. E2E_KEEP=1 keeps the temporary folder (homes, data, server logs); E2E_ONLY=workflow|crash|cli|mlflow
# runs one part; E2E_SERVER_ARGS adds options to the crash test's servers (e.g. "--threads 1");
# E2E_MODEL_GGUF points at the base model's GGUF when it is not in the default finetune home.
# Exits non-zero when a part fails.
set -uo pipefail
cd "$(dirname "$0")/../.."

MODEL="${E2E_MODEL:-smollm2-135m-instruct}"
if [[ -z "${FINETUNE_BIN:-}" ]]; then
    FINETUNE_BIN="$(${SWIFT:-swift} build --show-bin-path)/finetune"
fi
export FINETUNE_BIN
if [[ ! -x "$FINETUNE_BIN" ]]; then
    echo "e2e: $FINETUNE_BIN is missing; run \`swift build\` first (or set FINETUNE_BIN)" >&2
    exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/finetune-e2e.XXXXXX")"
export E2E_PID_DIR="$WORK/pids"
mkdir -p "$E2E_PID_DIR"

CHILD=""
cleanup() {
    local file
    [[ -n "$CHILD" ]] && kill -TERM "$CHILD" 2>/dev/null
    for file in "$E2E_PID_DIR"/*.pid; do
        [[ -e "$file" ]] && kill -KILL "$(cat "$file")" 2>/dev/null
    done
    if [[ "${E2E_KEEP:-0}" == 1 ]]; then
        echo "e2e: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# child COMMAND...: runs a test script in the background and waits for it, so that a signal to this
# script runs the traps at once (and stops the child) instead of after the child ends.
child() {
    "$@" &
    CHILD=$!
    local status=0
    wait "$CHILD" || status=$?
    CHILD=""
    return $status
}

PYTHON="$(scripts/e2e/setup_venv.sh | tail -1)" || { echo "e2e: FAIL could not set up .venv-e2e" >&2; exit 1; }

SERVER_PID=""
SERVER_URL=""

# start_server HOME LOG ARGS...: starts `finetune serve --port 0` and waits for its listening line.
start_server() {
    local home="$1" log="$2"
    shift 2
    FINETUNE_HOME="$home" "$FINETUNE_BIN" serve --host 127.0.0.1 --port 0 "$@" >"$log.out" 2>"$log.err" &
    SERVER_PID=$!
    echo "$SERVER_PID" >"$E2E_PID_DIR/$SERVER_PID.pid"
    local _
    for _ in $(seq 1 600); do
        SERVER_URL="$(sed -n 's|^finetune serve: listening on \(http://[^ ]*\)$|\1|p' "$log.out" | head -n 1)"
        [[ -n "$SERVER_URL" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "e2e: the server did not start; its log:" >&2
    tail -n 30 "$log.out" "$log.err" >&2
    return 1
}

# stop_server: SIGTERM, then SIGKILL after 60 s.
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    local _
    for _ in $(seq 1 300); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    rm -f "$E2E_PID_DIR/$SERVER_PID.pid"
    SERVER_PID=""
}

run_workflow() {
    local home="$WORK/home-workflow" log="$WORK/server-workflow"
    scripts/e2e/register_model.sh "$FINETUNE_BIN" "$home" "$MODEL" || return 1
    local key="sk-e2e-$RANDOM$RANDOM$RANDOM"
    start_server "$home" "$log" --api-key "$key" || return 1
    echo "e2e: server at $SERVER_URL (home $home)"
    local status=0
    child "$PYTHON" scripts/e2e/openai_workflow.py --base-url "$SERVER_URL/v1" --api-key "$key" --api-key-required \
        --model "$MODEL" --workdir "$WORK/workflow" || status=$?
    if [[ $status -ne 0 ]]; then
        echo "e2e: server log tail:"
        tail -n 40 "$log.err" | sed 's/^/    /'
    fi
    stop_server
    return $status
}

run_crash() {
    local home="$WORK/home-crash"
    scripts/e2e/register_model.sh "$FINETUNE_BIN" "$home" "$MODEL" || return 1
    child "$PYTHON" scripts/e2e/crash_test.py --home "$home" --finetune-bin "$FINETUNE_BIN" --model "$MODEL" \
        --workdir "$WORK/crash"
}

run_cli() {
    local home="$WORK/home-cli"
    scripts/e2e/register_model.sh "$FINETUNE_BIN" "$home" "$MODEL" || return 1
    child "$PYTHON" scripts/e2e/cli_providers.py --home "$home" --finetune-bin "$FINETUNE_BIN" --model "$MODEL" \
        --workdir "$WORK/cli"
}

run_mlflow() {
    local home="$WORK/home-mlflow" python
    scripts/e2e/register_model.sh "$FINETUNE_BIN" "$home" "$MODEL" || return 1
    python="$(scripts/mlflow/setup_venv.sh | tail -1)" || return 1
    child "$python" scripts/e2e/mlflow_cli.py --home "$home" --finetune-bin "$FINETUNE_BIN" --model "$MODEL" \
        --workdir "$WORK/mlflow"
}

declare -a NAMES=() RESULTS=() TIMES=()
FAILED=0
part() {
    local name="$1" function="$2"
    if [[ -n "${E2E_ONLY:-}" && "$E2E_ONLY" != "$name" ]]; then
        return
    fi
    echo "== e2e: $name"
    local start=$SECONDS status=0
    "$function" || status=$?
    NAMES+=("$name")
    TIMES+=("$((SECONDS - start))")
    if [[ $status -eq 0 ]]; then RESULTS+=(PASS); else RESULTS+=(FAIL); FAILED=1; fi
}

echo "e2e: finetune serve with the OpenAI SDK and the finetune CLI ($FINETUNE_BIN, work folder $WORK)"
part workflow run_workflow
part crash run_crash
part cli run_cli
part mlflow run_mlflow

echo
echo "== e2e summary"
for i in "${!NAMES[@]}"; do
    printf '%s %-10s %4ss\n' "${RESULTS[$i]}" "${NAMES[$i]}" "${TIMES[$i]}"
done
if [[ $FAILED -ne 0 ]]; then
    echo "FAIL finetune serve end-to-end tests (E2E_KEEP=1 keeps the logs)"
    exit 1
fi
echo "PASS finetune serve end-to-end tests"
