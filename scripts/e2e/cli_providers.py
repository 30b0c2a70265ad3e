#!/usr/bin/env python3
"""End-to-end test of `finetune train --provider openai` and the job commands, against a real
`finetune serve` (which speaks OpenAI's API), checked from the side with the official OpenAI SDK.

Steps:
1. the one-step flow: validate → (cost: needs --yes without a terminal) → upload → create → follow →
   record; the run record has the reference results file's fields plus provider, SHA-256, metrics,
   checkpoints, cost and version, and agrees with what the SDK sees;
2. `upload`, `jobs list|get|events|checkpoints`, `models hosted`, `runs list|show`;
3. `--no-monitor`, then `jobs events ID --follow` re-attaches and completes the record;
4. Ctrl-C while following leaves the job running and says how to re-attach;
5. the server is SIGKILLed mid-run and restarted on the same port: the monitor reconnects and
   finishes, with every step in the record once;
6. a job cancelled elsewhere, a job that fails, a wrong key, a missing key: clear messages, true records.

    python scripts/e2e/cli_providers.py --home $FINETUNE_HOME [--finetune-bin PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DEFAULT_MODEL, ServerProcess, StepRunner, capital_datasets, check, finetune_binary, log, openai_client,
    pricing_examples, wait_for_job, write_jsonl,
)

# The fields of the reference results file (000_…txt) every record must have.
REFERENCE_FIELDS = ["job_id", "status", "output_name", "base_model", "created_at", "finished_at", "hyperparameters",
                    "training_file_id", "timestamp", "training_stats", "training_parameters"]


class CLITest:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="finetune-cli-"))
        self.runs = self.workdir / "runs"
        self.key = "sk-cli-" + secrets.token_hex(8)
        self.server = ServerProcess(args.finetune_bin, Path(args.home), self.workdir / "server.log",
                                    api_keys=[self.key], keep_port=True)
        self.client: Any = None
        self.job_id = ""
        self.record_path: Path | None = None

    # ------------------------------------------------------------ helpers

    def connection(self, key: str | None = None) -> list[str]:
        return ["--provider", "openai", "--base-url", self.server.base_url, "--api-key", key or self.key]

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "NO_COLOR": "1", "FINETUNE_HOME": self.args.home, "FINETUNE_RUNS_DIR": str(self.runs)}
        env.pop("OPENAI_API_KEY", None)
        env.pop("OPENAI_BASE_URL", None)
        env.update(extra)
        return env

    def cli(self, *arguments: str, timeout: float = 600, expect: int | None = 0, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.args.finetune_bin, *arguments], capture_output=True, text=True, timeout=timeout,
                                env=self.env(**env), stdin=subprocess.DEVNULL)
        if expect is not None:
            check(result.returncode == expect, f"`finetune {' '.join(arguments[:3])} …` exited {result.returncode}, "
                  f"expected {expect}", result.stdout[-3000:], result.stderr[-3000:])
        return result

    def background(self, *arguments: str) -> tuple[subprocess.Popen[str], Path]:
        """Starts the CLI; its standard error goes to the returned file."""
        path = self.workdir / f"cli-{time.monotonic_ns()}.log"
        with open(path, "w", encoding="utf-8") as log_file:
            process = subprocess.Popen([self.args.finetune_bin, *arguments], stdout=subprocess.PIPE, stderr=log_file,
                                       text=True, env=self.env(), stdin=subprocess.DEVNULL)
        return process, path

    def train_args(self, train: Path, *extra: str, valid: Path | None = None) -> list[str]:
        arguments = ["train", str(train), "--model", self.args.model, "--yes", "--check-interval", "0.3", *self.connection()]
        if valid:
            arguments += ["--valid", str(valid)]
        return arguments + list(extra)

    def records(self) -> list[Path]:
        return sorted(self.runs.glob("*_finetune_*.json"), key=lambda path: path.stat().st_mtime)

    def record_named(self, name: str) -> tuple[Path, dict]:
        matches = [path for path in self.records() if path.name.startswith(name + "_finetune_")]
        check(len(matches) == 1, f"expected one record named {name}", [path.name for path in self.records()])
        return matches[0], json.loads(matches[0].read_text())

    def wait_for_record(self, name: str, condition, what: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matches = [path for path in self.records() if path.name.startswith(name + "_finetune_")]
            if matches:
                try:
                    record = json.loads(matches[0].read_text())
                except json.JSONDecodeError as error:  # the record is replaced atomically: never half-written
                    raise AssertionError(f"{matches[0]} is not valid JSON mid-run: {error}") from error
                if condition(record):
                    return record
            time.sleep(0.2)
        raise AssertionError(f"the record {name} never showed {what}")

    def check_steps(self, record: dict, what: str) -> None:
        steps = [point["step"] for point in record["metrics"]]
        total = record["metrics"][-1].get("total_steps") if record["metrics"] else None
        check(steps == list(range(1, len(steps) + 1)), f"{what}: metrics steps are not 1..N, each once", steps)
        check(total == len(steps), f"{what}: {len(steps)} steps recorded of {total}", steps)
        check(all(point.get("train_loss") is not None for point in record["metrics"]), f"{what}: a step without train_loss")

    # ------------------------------------------------------------ steps

    def setup(self) -> None:
        self.server.start(timeout=self.args.start_timeout)
        self.client = openai_client(self.server.base_url, self.key)
        train, valid = capital_datasets(train=12, valid=4)
        write_jsonl(self.workdir / "train.jsonl", train)
        write_jsonl(self.workdir / "valid.jsonl", valid)
        # Longer jobs for interrupting: 40 steps of one example each.
        write_jsonl(self.workdir / "long.jsonl", pricing_examples(40, seed=5, features=1))
        log(f"server at {self.server.url}")

    def one_step_flow(self) -> None:
        train, valid = self.workdir / "train.jsonl", self.workdir / "valid.jsonl"
        refused = self.cli(*[arg for arg in self.train_args(train, "--suffix", "e2e") if arg != "--yes"], expect=1)
        check("--yes" in refused.stderr, "without a terminal and without --yes, train must refuse to spend", refused.stderr)
        check(not self.records() or all("e2e" not in path.name for path in self.records()),
              "a refused run must not leave a record")

        result = self.cli(*self.train_args(train, "--suffix", "e2e", "--epochs", "1", "--batch-size", "4",
                                           "--learning-rate-multiplier", "2", "--seed", "7", "--wandb-project", "pricer",
                                           valid=valid))
        for text in ("Uploaded the training file", "Created job", "status:", "succeeded", "Fine-tuned model: ft:"):
            check(text in result.stderr, f"train's output lacks {text!r}", result.stderr[-3000:])
        path, record = self.record_named("e2e")
        self.record_path = path
        for field in REFERENCE_FIELDS:
            check(field in record, f"the record lacks {field}", record)
        check(record["status"] == "succeeded", "record status", record["status"])
        check(record["provider"] == "openai" and record["location"] == self.server.base_url, "provider/location", record)
        check(record["output_name"].startswith("ft:") and ":e2e:" in record["output_name"], "output_name", record["output_name"])
        check(record["finetune_version"], "finetune_version")
        self.job_id = record["job_id"]
        job = self.client.fine_tuning.jobs.retrieve(self.job_id)
        check(job.status == "succeeded" and job.fine_tuned_model == record["output_name"], "the SDK sees another job", job)
        check(job.hyperparameters.n_epochs == 1 and job.hyperparameters.batch_size == 4, "hyperparameters", job)
        check(abs(float(job.hyperparameters.learning_rate_multiplier) - 2) < 1e-9, "multiplier", job)
        check(job.seed == 7, "seed", job)
        check(job.integrations and job.integrations[0].wandb.project == "pricer", "W&B integration", job)
        check(record["training_file_id"] == job.training_file, "training_file_id", record)
        check(record["validation_file_id"] == job.validation_file, "validation_file_id", record)
        datasets = {entry["role"]: entry for entry in record["datasets"]}
        for role, file in (("train", train), ("validation", valid)):
            check(datasets[role]["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest(), f"{role} sha256", datasets[role])
        check(record["training_stats"]["processed_conversations"] == 12, "training_stats", record["training_stats"])
        params = record["training_parameters"]
        check(params["n_epochs"] == 1 and params["suffix"] == "e2e" and params["check_interval"] == 0.3, "params", params)
        self.check_steps(record, "the one-step flow")
        check(any(point.get("valid_loss") is not None or point.get("full_valid_loss") is not None for point in record["metrics"]),
              "no validation loss in the record", record["metrics"])
        check(record["checkpoints"] and record["checkpoints"][0]["model"].startswith(record["output_name"] + ":ckpt-step-"),
              "checkpoints", record["checkpoints"])
        check(record["trained_tokens"] == job.trained_tokens, "trained_tokens", record)
        check("estimated_usd" in record["cost"] or "estimate_basis" in record["cost"], "cost", record["cost"])
        check(record["finished_at"] is not None and record["created_at"] is not None, "dates", record)

    def job_commands(self) -> None:
        uploaded = self.cli("upload", str(self.workdir / "valid.jsonl"), *self.connection()).stdout.strip()
        check(self.client.files.retrieve(uploaded).status == "processed", "upload: the file is not processed")
        listing = self.cli("jobs", "list", *self.connection()).stdout
        check(self.job_id in listing and "succeeded" in listing, "jobs list", listing)
        got = json.loads(self.cli("jobs", "get", self.job_id, "--json", *self.connection()).stdout)
        check(got["status"] == "succeeded" and got["id"] == self.job_id, "jobs get --json", got)
        events = self.cli("jobs", "events", self.job_id, *self.connection()).stdout
        check("Step 1/" in events and "Created fine-tuning job" in events, "jobs events", events)
        lines = [line for line in events.splitlines() if line.strip()]
        check("Created fine-tuning job" in lines[0], "events are not oldest first", lines[:3])
        checkpoints = self.cli("jobs", "checkpoints", self.job_id, *self.connection()).stdout
        check(":ckpt-step-" in checkpoints, "jobs checkpoints", checkpoints)
        record = json.loads(self.record_path.read_text())
        hosted = self.cli("models", "hosted", *self.connection()).stdout
        check(record["output_name"] in hosted, "models hosted", hosted)
        runs = self.cli("runs", "list").stdout
        check(self.record_path.stem in runs and "succeeded" in runs, "runs list", runs)
        shown = self.cli("runs", "show", "e2e").stdout
        check(self.job_id in shown and "final training loss" in shown, "runs show", shown)
        raw = json.loads(self.cli("runs", "show", self.job_id, "--json").stdout)
        check(raw == record, "runs show --json is not the record")

    def hosted_eval(self) -> None:
        """`finetune eval` through the OpenAI provider (chat completions of finetune serve) answers exactly
        as the in-process engine does on the same fine-tuned model: greedy decoding either way."""
        record = json.loads(self.record_path.read_text())
        test = write_jsonl(self.workdir / "test.jsonl", capital_datasets(train=16, valid=4)[1])
        common = ["--test", str(test), "--baseline", self.args.model, "--max-tokens", "8", "--threads", "2"]
        hosted = self.cli("eval", "e2e", *common, "--name", "hosted", *self.connection())
        check("BEFORE:" in hosted.stdout and "AFTER:" in hosted.stdout, "eval's table", hosted.stdout)
        self.cli("eval", record["output_name"], *common, "--name", "here")
        evaluations = {}
        for name in ("hosted", "here"):
            folders = sorted((self.runs / "evals").glob(f"{name}_eval_*"))
            check(len(folders) == 1, f"one evaluation named {name}", folders)
            lines = [json.loads(line) for line in (folders[0] / "examples.jsonl").read_text().splitlines()]
            evaluations[name] = (json.loads((folders[0] / "evaluation.json").read_text()), lines)
        (hosted_record, hosted_lines), (local_record, local_lines) = evaluations["hosted"], evaluations["here"]
        check(hosted_record["model"]["provider"] == "openai" and hosted_record["baseline"]["provider"] == "openai",
              "the hosted evaluation went through the provider", hosted_record["model"], hosted_record["baseline"])
        check(hosted_record["model"]["run"]["job_id"] == self.job_id, "the evaluation names its run", hosted_record["model"])
        check(local_record["model"]["provider"] == "local", "the second evaluation ran here", local_record["model"])
        check(len(hosted_lines) == 4 and len(local_lines) == 4, "four answers each", len(hosted_lines), len(local_lines))
        for side in ("model", "baseline"):
            hosted_answers = [line[side]["answer"] for line in hosted_lines]
            local_answers = [line[side]["answer"] for line in local_lines]
            check(hosted_answers == local_answers, f"{side}: served and in-process answers differ", hosted_answers, local_answers)
        check(hosted_record["model"]["metrics"] == local_record["model"]["metrics"], "the metrics differ",
              hosted_record["model"]["metrics"], local_record["model"]["metrics"])
        board = self.cli("runs", "leaderboard").stdout
        check(record["output_name"] in board and "(baseline)" in board, "the leaderboard lists the models", board)

    def no_monitor_then_follow(self) -> None:
        result = self.cli(*self.train_args(self.workdir / "train.jsonl", "--suffix", "later", "--epochs", "1", "--no-monitor"))
        job_id = result.stdout.strip()
        check(job_id.startswith("ftjob-"), "--no-monitor prints the job id", result.stdout)
        check(f"finetune jobs events {job_id} --follow" in result.stderr, "--no-monitor says how to follow", result.stderr)
        _, record = self.record_named("later")
        check(record["job_id"] == job_id and record["status"] in ("validating", "queued", "running"), "record", record)
        followed = self.cli("jobs", "events", job_id, "--follow", "--check-interval", "0.3", *self.connection())
        check("succeeded" in followed.stdout, "follow ends with the job", followed.stdout[-2000:])
        _, record = self.record_named("later")
        check(record["status"] == "succeeded" and record["output_name"], "following updates the record", record)
        self.check_steps(record, "the re-attached record")

    def interrupt_and_reattach(self) -> None:
        process, log_path = self.background(*self.train_args(self.workdir / "long.jsonl", "--suffix", "ctrlc", "--epochs", "1",
                                                   "--batch-size", "1"))
        record = self.wait_for_record("ctrlc", lambda r: len(r["metrics"]) >= 2, "two steps")
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        check(code == 130, f"Ctrl-C: exit {code}, expected 130")
        job = self.client.fine_tuning.jobs.retrieve(record["job_id"])
        check(job.status in ("running", "queued"), "the job must keep running after Ctrl-C", job)
        text = log_path.read_text()
        check(f"finetune jobs events {job.id} --follow" in text, "Ctrl-C says how to re-attach", text[-1500:])
        self.cli("jobs", "events", job.id, "--follow", "--check-interval", "0.3", *self.connection())
        _, record = self.record_named("ctrlc")
        check(record["status"] == "succeeded", "the re-attached monitor completes the record", record["status"])
        self.check_steps(record, "after Ctrl-C and re-attaching")

    def server_dies_mid_run(self) -> None:
        # One quick retry per request, so the 3 s outage outlasts the HTTP client's retries and the
        # monitor's own reconnecting is what carries the run through.
        process, log_path = self.background(*self.train_args(self.workdir / "long.jsonl", "--suffix", "outage", "--epochs", "1",
                                                   "--batch-size", "1", "--retries", "1"))
        self.wait_for_record("outage", lambda r: len(r["metrics"]) >= 3, "three steps")
        self.server.kill()
        log("server killed mid-run; restarting in 3 s on the same port")
        time.sleep(3)
        self.server.start(timeout=self.args.start_timeout)
        process.communicate(timeout=600)
        logs = log_path.read_text()
        check(process.returncode == 0, f"the monitor exited {process.returncode} after the outage", logs[-3000:])
        check("connection problem" in logs and "reconnected" in logs, "the outage is reported", logs[-3000:])
        _, record = self.record_named("outage")
        check(record["status"] == "succeeded", "outage record status", record["status"])
        self.check_steps(record, "across the outage")

    def cancelled_elsewhere(self) -> None:
        process, log_path = self.background(*self.train_args(self.workdir / "long.jsonl", "--suffix", "cancelme", "--epochs", "1",
                                                   "--batch-size", "1"))
        record = self.wait_for_record("cancelme", lambda r: r.get("job_id") and r["status"] == "running", "running")
        self.client.fine_tuning.jobs.cancel(record["job_id"])
        process.communicate(timeout=120)
        logs = log_path.read_text()
        check(process.returncode == 1, f"a cancelled job: exit {process.returncode}", logs[-2000:])
        check("was cancelled" in logs, "the cancel is said", logs[-2000:])
        _, record = self.record_named("cancelme")
        check(record["status"] == "cancelled" and record["finished_at"], "cancelled record", record)

    def failing_job(self) -> None:
        result = self.cli(*self.train_args(self.workdir / "train.jsonl", "--suffix", "diverge", "--epochs", "1",
                                           "--learning-rate-multiplier", "100000", "--batch-size", "1"), expect=1)
        check("failed" in result.stderr, "a failed job is said", result.stderr[-2000:])
        _, record = self.record_named("diverge")
        check(record["status"] == "failed" and record["error"] and record["error"]["message"], "failed record", record)
        log(f"failure message: {record['error']['message'][:120]}")

    def bad_credentials(self) -> None:
        wrong = self.cli("jobs", "list", *self.connection("sk-wrong"), expect=1)
        check("401" in wrong.stderr and "API key" in wrong.stderr, "a wrong key is explained", wrong.stderr)
        missing = self.cli("jobs", "list", "--provider", "openai", "--base-url", self.server.base_url, expect=1)
        check("OPENAI_API_KEY" in missing.stderr, "a missing key names the variable", missing.stderr)
        nowhere = self.cli("jobs", "list", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1",
                           "--api-key", "k", "--retries", "1", expect=1)
        check("127.0.0.1:9" in nowhere.stderr, "an unreachable server is named", nowhere.stderr)

    def run(self) -> int:
        steps = StepRunner("finetune train --provider openai against finetune serve")
        try:
            steps.run("start the server, write the data", self.setup)
            steps.run("train: validate, cost, upload, create, follow, record", self.one_step_flow)
            steps.run("upload, jobs list/get/events/checkpoints, models hosted, runs list/show", self.job_commands)
            steps.run("eval through the provider answers as the engine here does", self.hosted_eval)
            steps.run("--no-monitor, then jobs events --follow completes the record", self.no_monitor_then_follow)
            steps.run("Ctrl-C leaves the job running; re-attach", self.interrupt_and_reattach)
            steps.run("the server dies mid-run and comes back: the monitor carries on", self.server_dies_mid_run)
            steps.run("a job cancelled elsewhere", self.cancelled_elsewhere)
            steps.run("a job that fails", self.failing_job)
            steps.run("wrong key, missing key, unreachable server", self.bad_credentials)
        finally:
            self.server.stop()
        return steps.summary()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", required=True, help="a finetune home with the base model registered")
    parser.add_argument("--finetune-bin", default=None)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--start-timeout", type=float, default=120)
    args = parser.parse_args()
    args.finetune_bin = args.finetune_bin or finetune_binary()
    return CLITest(args).run()


if __name__ == "__main__":
    sys.exit(main())
