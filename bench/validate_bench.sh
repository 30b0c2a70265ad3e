#!/usr/bin/env bash
# Benchmark: `finetune validate` against a plain Python validator on a 1 GiB chat JSONL file.
#
# Run from the repository root (`make bench` does). Builds the release binary, generates
# .bench/chat-1g.jsonl once, reads it once to warm the page cache, then times each validator
# BENCH_RUNS times, alternating, and reports the medians. Writes .bench/validate.json.
#
# Goals: finetune validates at >= 250 MB/s and at least 2x the Python peer (MB = 10^6 bytes).
# Misses are reported as FAIL lines but do not fail the script (timings on shared VMs are
# noisy); the exit status is non-zero only when a build, generation or validator run fails.
#
# Environment: BENCH_SIZE_MB (default 1024), BENCH_RUNS (default 3), BENCH_FILE (default
# .bench/chat-1g.jsonl), PYTHON (default python3).
set -euo pipefail

SIZE_MB="${BENCH_SIZE_MB:-1024}"
RUNS="${BENCH_RUNS:-3}"
FILE="${BENCH_FILE:-.bench/chat-1g.jsonl}"
PYTHON="${PYTHON:-python3}"
GOAL_MBPS=250
GOAL_RATIO=2
OUT_JSON=".bench/validate.json"

if [[ ! -f Package.swift || ! -f bench/validate_reference.py ]]; then
    echo "error: run this script from the repository root" >&2
    exit 2
fi
mkdir -p .bench

# Seconds since the epoch with sub-second precision (GNU date, else Python).
if [[ "$(date +%N)" =~ ^[0-9]+$ ]]; then
    now() { date +%s.%N; }
else
    now() { "$PYTHON" -c 'import time; print(f"{time.time():.6f}")'; }
fi

echo "== building finetune (release)"
swift build -c release --product finetune
BIN="$(swift build -c release --show-bin-path)/finetune"
if [[ ! -x "$BIN" ]]; then
    echo "error: $BIN was not built" >&2
    exit 1
fi

if [[ ! -f "$FILE" ]]; then
    echo "== generating $FILE ($SIZE_MB MiB)"
    "$PYTHON" bench/generate_chat_jsonl.py --size-mb "$SIZE_MB" --output "$FILE"
fi
BYTES=$(wc -c < "$FILE" | tr -d ' ')
echo "== $FILE: $BYTES bytes, $(wc -l < "$FILE" | tr -d ' ') lines"

echo "== warm-up read"
cat "$FILE" > /dev/null

failed=0
py_times=()
ft_times=()

# run NAME COMMAND...: times one run; exit status 0 (clean) and 1 (findings) both count.
run() {
    local name="$1"; shift
    local t0 t1 status
    t0=$(now)
    set +e
    "$@" > /dev/null
    status=$?
    set -e
    t1=$(now)
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    if (( status >= 2 )); then
        echo "   $name: FAILED (exit status $status)" >&2
        failed=1
        return 1
    fi
    [[ $status -eq 1 ]] && echo "   note: $name reported errors in a file meant to be clean (exit status 1)" >&2
    echo "   $name: ${secs}s"
    LAST_SECS="$secs"
}

for ((i = 1; i <= RUNS; i++)); do
    echo "== run $i/$RUNS"
    if run "python" "$PYTHON" bench/validate_reference.py "$FILE"; then py_times+=("$LAST_SECS"); fi
    if run "finetune" "$BIN" validate "$FILE" --json; then ft_times+=("$LAST_SECS"); fi
done

if (( ${#py_times[@]} == 0 || ${#ft_times[@]} == 0 )); then
    echo "error: no successful runs to report" >&2
    exit 1
fi

# Medians, throughput, ratio, verdicts and the JSON record.
"$PYTHON" - "$BYTES" "$FILE" "$OUT_JSON" "$GOAL_MBPS" "$GOAL_RATIO" "${py_times[*]}" "${ft_times[*]}" <<'EOF'
import json, os, platform, statistics, sys, time

size, path, out, goal_mbps, goal_ratio, py, ft = sys.argv[1:8]
size = int(size)
goal_mbps = float(goal_mbps)
goal_ratio = float(goal_ratio)
py = [float(x) for x in py.split()]
ft = [float(x) for x in ft.split()]
py_med, ft_med = statistics.median(py), statistics.median(ft)
mb = size / 1e6
py_mbps, ft_mbps = mb / py_med, mb / ft_med
ratio = ft_mbps / py_mbps
mbps_ok = ft_mbps >= goal_mbps
ratio_ok = ratio >= goal_ratio

print()
print(f"file      {path}: {mb:,.1f} MB (MB = 10^6 bytes)")
print(f"python    median {py_med:7.3f}s  {py_mbps:8.1f} MB/s   runs: {', '.join(f'{t:.3f}' for t in py)}")
print(f"finetune  median {ft_med:7.3f}s  {ft_mbps:8.1f} MB/s   runs: {', '.join(f'{t:.3f}' for t in ft)}")
print(f"ratio     finetune / python = {ratio:.2f}x")
print(f"{'PASS' if mbps_ok else 'FAIL'}: finetune validate >= {goal_mbps:g} MB/s ({ft_mbps:.1f} MB/s)")
print(f"{'PASS' if ratio_ok else 'FAIL'}: finetune validate >= {goal_ratio:g}x python ({ratio:.2f}x)")

record = {
    "file": path,
    "bytes": size,
    "cpus": os.cpu_count(),
    "machine": platform.machine(),
    "system": platform.system(),
    "python_version": platform.python_version(),
    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "python": {"seconds": py, "median_seconds": py_med, "mb_per_s": round(py_mbps, 1)},
    "finetune": {"seconds": ft, "median_seconds": ft_med, "mb_per_s": round(ft_mbps, 1)},
    "ratio": round(ratio, 2),
    "goals": {"mb_per_s": goal_mbps, "ratio": goal_ratio, "mb_per_s_met": mbps_ok, "ratio_met": ratio_ok},
}
with open(out, "w") as f:
    json.dump(record, f, indent=2)
    f.write("\n")
print(f"wrote {out}")
EOF

exit "$failed"
