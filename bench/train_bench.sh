#!/usr/bin/env bash
# Benchmark: `finetune bench train` (LoRA r=8 on every linear layer of the embedded SmolLM2,
# 4 sequences of 256 tokens per step, two threads) against transformers + PEFT in fp32 and with
# bf16 autocast (bench/train_peers.py), in one run.
#
# Run from the repository root (`make bench` does, after building and pulling the model). The
# peer lives in .bench/peers-venv (created by generate_bench.sh; peft is added here on first use).
# BENCH_PEERS=none skips it. finetune (bf16 products where the CPU has them, and fp32) and the
# peers run in alternating rounds (BENCH_ROUNDS, default 3); ratios are medians of the ratios
# within a round. Writes .bench/train.json.
#
# Goal (issue 4): at least twice the fp32 peer's tokens/s, with less peak memory.
# Misses are FAIL lines; the script fails only when a run fails (timings here are noisy).
set -euo pipefail

MODEL="${1:-smollm2-135m-instruct}"
THREADS="${BENCH_THREADS:-2}"
STEPS="${BENCH_STEPS:-5}"
ROUNDS="${BENCH_ROUNDS:-3}"
PEERS="${BENCH_PEERS:-fp32,bf16}"
VENV=.bench/peers-venv
mkdir -p .bench

BIN="$(swift build -c release --show-bin-path)/finetune"
MODEL_PATH="$("$BIN" models list --json | python3 -c "import json,sys; print(next(m['path'] for m in json.load(sys.stdin)['models'] if m['name']=='$MODEL'))")"

if [[ "$PEERS" != none ]]; then
    if [[ ! -x "$VENV/bin/python" ]]; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q torch==2.13.0+cpu transformers accelerate gguf numpy
    fi
    "$VENV/bin/python" -c "import peft" 2>/dev/null || "$VENV/bin/pip" install -q peft
fi

: > .bench/train-rounds.jsonl
for round in $(seq 1 "$ROUNDS"); do
    for precision in bf16 fp32; do
        echo "== round $round of $ROUNDS: finetune bench train ($precision, $THREADS threads, $STEPS steps)"
        "$BIN" bench train "$MODEL" --threads "$THREADS" --steps "$STEPS" --precision "$precision" --json \
            | python3 -c "import json,sys; d=json.load(sys.stdin); d['peer']='finetune '+d['precision']; d['round']=$round; print(json.dumps(d))" \
            | tee -a .bench/train-rounds.jsonl
    done
    if [[ "$PEERS" != none ]]; then
        for dtype in ${PEERS//,/ }; do
            echo "== round $round of $ROUNDS: transformers + PEFT ($dtype)"
            flag=""; [[ "$dtype" == bf16 ]] && flag="--bf16"
            "$VENV/bin/python" bench/train_peers.py "$MODEL_PATH" --threads "$THREADS" --steps "$STEPS" $flag 2>/dev/null \
                | python3 -c "import json,sys; d=json.load(sys.stdin); d['peer']='transformers+peft '+d['dtype']; d['round']=$round; print(json.dumps(d))" \
                | tee -a .bench/train-rounds.jsonl
        done
    fi
done

python3 - <<'PY'
import json, statistics
rows = [json.loads(line) for line in open(".bench/train-rounds.jsonl") if line.strip()]
names = list(dict.fromkeys(r["peer"] for r in rows))
T, M = "tokens_per_second", "peak_memory_bytes"
def median(name, key):
    return statistics.median(r[key] for r in rows if r["peer"] == name)
def ratio(ours, peer):
    mine = {r["round"]: r[T] for r in rows if r["peer"] == ours}
    return statistics.median(mine[r["round"]] / r[T] for r in rows if r["peer"] == peer and r["round"] in mine)
best = "finetune bf16" if "finetune bf16" in names else "finetune fp32"
print()
print(f"{'median over rounds':30} {'tokens/s':>9} {'peak memory':>12}   {best} / this")
summary = {}
for name in names:
    entry = {T: median(name, T), M: median(name, M)}
    line = f"{name:30} {entry[T]:9.1f} {entry[M] / 1e9:10.2f} GB"
    if name != best:
        entry["ratio"] = ratio(best, name)
        line += f"   {entry['ratio']:.2f}x"
    summary[name] = entry
    print(line)
goals = []
peer = "transformers+peft fp32"
if peer in summary:
    goals.append((f"{best} at least twice {peer}", summary[peer]["ratio"] >= 2))
    goals.append((f"{best} peaks below {peer}", summary[best][M] < summary[peer][M]))
else:
    goals.append(("at least twice the 270 tokens/s of transformers+PEFT fp32 (MACHINE.md)", summary[best][T] >= 540))
for label, ok in goals:
    print(("PASS " if ok else "FAIL ") + label)
json.dump({"summary": summary, "rounds": rows, "goals": {label: ok for label, ok in goals}}, open(".bench/train.json", "w"), indent=2)
PY
