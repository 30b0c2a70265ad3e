#!/usr/bin/env python3
"""Load test of `finetune serve`: latency under 50 concurrent clients while a job trains, and how
much the load slows the training.

Starts the server on a finetune home (the base model registered), fine-tunes a tiny model first (so
fine-tuned and checkpoint models exist to chat with), then starts a long job and measures:

1. the training speed alone (`--alone` seconds);
2. `--clients` concurrent clients (AsyncOpenAI, max_retries=0) for `--duration` seconds, each in a
   closed loop over: list jobs, list the training job's events, a short chat (max_tokens 8,
   temperature 0) with the base, the fine-tuned and a checkpoint model; per-request latency by kind;
3. the training speed alone again (so drift on a shared machine shows in neither direction).

Training speed comes from the run's `metrics.jsonl` ($FINETUNE_HOME/runs/<job>/, per step: tokens
and elapsed seconds), over whole steps, or from the metrics events when that file is absent.
Prints a Markdown report, writes JSON (--json) and exits non-zero when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "e2e"))
from common import (  # noqa: E402
    DEFAULT_MODEL, ServerProcess, capital_datasets, capital_prompt, check, metrics_of, openai_client,
    pricing_examples, upload, wait_for_job, write_jsonl,
)

from openai import AsyncOpenAI  # noqa: E402

KINDS = ["list_jobs", "list_events", "chat_base", "list_jobs", "list_events", "chat_fine_tuned",
         "list_jobs", "list_events", "chat_checkpoint"]


# ---------------------------------------------------------------- training speed

class TrainingProbe:
    """Reads the training job's progress: (step, cumulative tokens, cumulative elapsed seconds)."""

    def __init__(self, client: Any, home: Path, job_id: str) -> None:
        self.client = client
        self.job_id = job_id
        self.metrics_file = home / "runs" / job_id / "metrics.jsonl"

    def sample(self) -> dict:
        """The latest finished step. With metrics.jsonl: its step, the tokens and elapsed seconds up
        to it; otherwise the step from the events and the wall clock."""
        if self.metrics_file.exists():
            rows = [json.loads(line) for line in self.metrics_file.read_text().splitlines() if line.strip()]
            rows = [row for row in rows if "step" in row and "elapsed_seconds" in row]
            if rows:
                by_step = {row["step"]: row for row in rows}  # a resumed step keeps its last record
                last = by_step[max(by_step)]
                tokens = sum(row.get("tokens", 0) for row in by_step.values())
                return {"step": last["step"], "tokens": tokens, "seconds": last["elapsed_seconds"], "source": "metrics.jsonl"}
        events = self.client.fine_tuning.jobs.list_events(self.job_id, limit=50).data
        metrics = metrics_of(events)
        step = metrics[-1]["step"] if metrics else 0
        return {"step": step, "tokens": None, "seconds": time.monotonic(), "source": "events"}

    def wait_for_step(self, step: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.sample()["step"] < step:
            job = self.client.fine_tuning.jobs.retrieve(self.job_id)
            check(job.status in ("validating_files", "queued", "running"), f"the training job is {job.status}", job)
            check(time.monotonic() < deadline, f"the training job did not reach step {step} in {timeout:.0f}s", job)
            time.sleep(0.5)


def speed(start: dict, end: dict) -> dict:
    """Steps and tokens per second between two samples."""
    seconds = end["seconds"] - start["seconds"]
    steps = end["step"] - start["step"]
    result = {"steps": steps, "seconds": seconds, "steps_per_second": steps / seconds if seconds > 0 else 0.0}
    if start["tokens"] is not None and end["tokens"] is not None:
        tokens = end["tokens"] - start["tokens"]
        result["tokens"] = tokens
        result["tokens_per_second"] = tokens / seconds if seconds > 0 else 0.0
    return result


def combined(*parts: dict) -> dict:
    """Two speed windows pooled into one."""
    seconds = sum(p["seconds"] for p in parts)
    steps = sum(p["steps"] for p in parts)
    result = {"steps": steps, "seconds": seconds, "steps_per_second": steps / seconds if seconds > 0 else 0.0}
    if all("tokens" in p for p in parts):
        tokens = sum(p["tokens"] for p in parts)
        result["tokens"] = tokens
        result["tokens_per_second"] = tokens / seconds if seconds > 0 else 0.0
    return result


def measure_alone(probe: TrainingProbe, seconds: float, min_steps: int = 3) -> dict:
    start = probe.sample()
    time.sleep(seconds)
    probe.wait_for_step(start["step"] + min_steps, timeout=300)
    return speed(start, probe.sample())


# ---------------------------------------------------------------- the clients

class LoadResult:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}

    def record(self, kind: str, seconds: float | None, error: str | None = None) -> None:
        if error is None:
            self.latencies.setdefault(kind, []).append(seconds or 0.0)
        else:
            self.errors.setdefault(kind, []).append(error)


async def client_loop(index: int, base_url: str, api_key: str, models: dict[str, str], job_id: str,
                      deadline: float, result: LoadResult) -> None:
    client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=600)
    try:
        turn = index
        while time.monotonic() < deadline:
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            start = time.perf_counter()
            try:
                if kind == "list_jobs":
                    page = await client.fine_tuning.jobs.list(limit=20)
                    check(page.data, "jobs.list is empty")
                elif kind == "list_events":
                    page = await client.fine_tuning.jobs.list_events(job_id, limit=20)
                    check(page.data, "list_events is empty")
                else:
                    model = models[kind.removeprefix("chat_")]
                    reply = await client.chat.completions.create(
                        model=model, messages=capital_prompt(["France", "Peru", "Kenya"][turn % 3]),
                        max_tokens=8, temperature=0)
                    check(reply.choices and reply.usage and reply.usage.completion_tokens >= 1, "empty chat reply", reply)
            except Exception as error:  # every failure counts; the message says what
                result.record(kind, None, f"{type(error).__name__}: {error}"[:300])
                continue
            result.record(kind, time.perf_counter() - start)
    finally:
        await client.close()


async def run_load(clients: int, duration: float, base_url: str, api_key: str, models: dict[str, str],
                   job_id: str) -> LoadResult:
    result = LoadResult()
    deadline = time.monotonic() + duration
    await asyncio.gather(*(client_loop(i, base_url, api_key, models, job_id, deadline, result)
                           for i in range(clients)))
    return result


# ---------------------------------------------------------------- report

def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def latency_rows(result: LoadResult) -> list[dict]:
    rows = []
    kinds = sorted(set(result.latencies) | set(result.errors), key=lambda k: KINDS.index(k))
    everything: list[float] = []
    for kind in kinds:
        values = result.latencies.get(kind, [])
        everything += values
        rows.append(_row(kind, values, len(result.errors.get(kind, []))))
    rows.append(_row("all", everything, sum(len(e) for e in result.errors.values())))
    return rows


def _row(kind: str, values: list[float], errors: int) -> dict:
    if not values:
        return {"kind": kind, "requests": errors, "errors": errors, "p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"kind": kind, "requests": len(values) + errors, "errors": errors,
            "p50_ms": 1000 * percentile(values, 0.50), "p99_ms": 1000 * percentile(values, 0.99),
            "max_ms": 1000 * max(values)}


def markdown(args: argparse.Namespace, rows: list[dict], alone: dict, loaded: dict, before: dict, after: dict,
             requests_per_second: float) -> str:
    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:,.0f}"

    lines = [f"### finetune serve under load: {args.clients} clients for {args.duration:.0f} s while a job trains", "",
             "| request | requests | errors | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        name = f"**{row['kind']}**" if row["kind"] == "all" else row["kind"]
        lines.append(f"| {name} | {row['requests']} | {row['errors']} | {ms(row['p50_ms'])} | {ms(row['p99_ms'])} | "
                     f"{ms(row['max_ms'])} |")
    lines.append(f"\n{requests_per_second:.1f} requests/s in all.\n")
    unit = "tokens_per_second" if "tokens_per_second" in alone else "steps_per_second"
    label = "tokens/s" if unit == "tokens_per_second" else "steps/s"
    lines += [f"| training | {label} | steps | seconds |", "|---|---:|---:|---:|"]
    for name, window in (("alone, before the load", before), ("alone, after the load", after),
                         ("alone (pooled)", alone), ("under load", loaded)):
        lines.append(f"| {name} | {window[unit]:.1f} | {window['steps']} | {window['seconds']:.1f} |")
    slowdown = 1 - loaded[unit] / alone[unit] if alone[unit] else float("nan")
    lines.append(f"\nTraining under load ran at {loaded[unit] / alone[unit]:.2f}× its speed alone "
                 f"({100 * slowdown:.0f}% slower).")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def prepare_models(client: Any, workdir: Path, model: str) -> dict[str, str]:
    """Fine-tunes a tiny model; returns the base, fine-tuned and checkpoint model ids."""
    train, _ = capital_datasets(train=24, valid=0)
    uploaded = upload(client, write_jsonl(workdir / "capitals.jsonl", train))
    job = client.fine_tuning.jobs.create(model=model, training_file=uploaded.id, suffix="bench",
                                         hyperparameters={"n_epochs": 2, "batch_size": 4})
    job, _ = wait_for_job(client, job.id, timeout=600, poll=1)
    check(job.status == "succeeded", "the warm-up job did not succeed", job)
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    check(checkpoints, "the warm-up job has no checkpoint", job)
    return {"base": model, "fine_tuned": job.fine_tuned_model,
            "checkpoint": checkpoints[-1].fine_tuned_model_checkpoint}


def start_training(client: Any, workdir: Path, model: str) -> Any:
    """A job that trains for longer than the benchmark; cancelled at the end."""
    rows = pricing_examples(400, seed=5, features=3)
    uploaded = upload(client, write_jsonl(workdir / "pricing.jsonl", rows))
    return client.fine_tuning.jobs.create(model=model, training_file=uploaded.id, suffix="load",
                                          hyperparameters={"n_epochs": 20, "batch_size": 4})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--finetune-bin", required=True)
    parser.add_argument("--home", required=True, help="a finetune home with the base model registered")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--workdir", default=".bench/serve")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--alone", type=float, default=20, help="seconds of training alone, before and after")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--markdown", help="write the Markdown report here too")
    args = parser.parse_args()

    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    api_key = "sk-bench-" + secrets.token_hex(8)
    server = ServerProcess(args.finetune_bin, Path(args.home).resolve(), workdir / "server.log", api_keys=[api_key])
    try:
        server.start()
        client = openai_client(server.base_url, api_key)
        print(f"server at {server.url}; fine-tuning a small model to chat with", flush=True)
        models = prepare_models(client, workdir, args.model)
        print(f"models: {models}", flush=True)
        job = start_training(client, workdir, args.model)
        probe = TrainingProbe(client, Path(args.home).resolve(), job.id)
        probe.wait_for_step(5, timeout=300)
        print(f"training job {job.id} running; {args.alone:.0f} s alone", flush=True)
        before = measure_alone(probe, args.alone)
        print(f"{args.clients} clients for {args.duration:.0f} s", flush=True)
        start_sample = probe.sample()
        started = time.monotonic()
        result = asyncio.run(run_load(args.clients, args.duration, server.base_url, api_key, models, job.id))
        load_seconds = time.monotonic() - started
        probe.wait_for_step(start_sample["step"] + 1, timeout=300)
        loaded = speed(start_sample, probe.sample())
        print(f"{args.alone:.0f} s alone again", flush=True)
        after = measure_alone(probe, args.alone)
        client.fine_tuning.jobs.cancel(job.id)
    finally:
        server.stop()

    rows = latency_rows(result)
    total = rows[-1]["requests"]
    alone = combined(before, after)
    report = markdown(args, rows, alone, loaded, before, after, total / load_seconds)
    print()
    print(report)
    errors = rows[-1]["errors"]
    for kind, messages in result.errors.items():
        print(f"\n{len(messages)} {kind} error(s), first: {messages[0]}")
    summary = {"clients": args.clients, "duration_seconds": args.duration, "load_seconds": load_seconds,
               "latency": rows, "training": {"alone_before": before, "alone_after": after, "alone": alone,
                                             "under_load": loaded, "source": probe.sample()["source"]},
               "errors": {kind: messages[:5] for kind, messages in result.errors.items()}, "models": models}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if args.markdown:
        Path(args.markdown).write_text(report + "\n")
    print(("FAIL" if errors else "PASS") + f" {total} requests, {errors} errors", flush=True)
    return 1 if errors or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
