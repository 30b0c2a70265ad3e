#!/usr/bin/env python3
"""Crash test of `finetune serve`: SIGKILL and SIGTERM in the middle of training.

Starts the server on a finetune home (which must have the base model registered), uploads a
training and a validation file and creates a job long enough to interrupt (48 short steps). Then:

1. once the job is mid-training, two steps or more past a checkpoint, a second job is queued
   behind it and the server is killed with SIGKILL; it is restarted on the same home: every file,
   job and event seen before the kill is still there, unchanged;
2. once the resumed job has made progress, the server gets SIGTERM: it must exit (status 0) within
   a step and a checkpoint; it is restarted again;
3. both jobs finish `succeeded`; the events seen before each interruption are all still there (same
   ids and content), metrics steps are unique and increasing in event order up to total_steps, the
   files' content is byte-identical, the checkpoints are sane and the fine-tuned model chats.

    python scripts/e2e/crash_test.py --home $FINETUNE_HOME [--finetune-bin PATH]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DEFAULT_MODEL, TERMINAL, ServerProcess, StepRunner, all_events, capital_datasets, capital_prompt, check,
    check_checkpoints, check_metrics, finetune_binary, log, metrics_of, openai_client, pricing_examples, upload,
    wait_for_job, walk, write_jsonl,
)


class CrashTest:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="finetune-crash-"))
        self.api_key = "sk-crash-" + secrets.token_hex(8)
        # The key comes from FINETUNE_API_KEYS here (the workflow test passes --api-key).
        self.server = ServerProcess(args.finetune_bin, Path(args.home), self.workdir / "server.log",
                                    env={"FINETUNE_API_KEYS": f"sk-another-key,{self.api_key}"})
        self.client: Any = None
        self.paths: dict[str, Path] = {}
        self.files: dict[str, Any] = {}
        self.job: Any = None
        self.queued_job: Any = None
        self.seen_events: dict[str, dict] = {}  # event id → its fields, for every event seen so far
        self.killed_at_step = 0
        self.terminated_at_step = 0

    # ------------------------------------------------------------ helpers

    def start(self) -> None:
        started = time.monotonic()
        self.server.start(timeout=self.args.start_timeout)
        self.client = openai_client(self.server.base_url, self.api_key)
        log(f"server up at {self.server.url} in {time.monotonic() - started:.1f}s")

    def remember_events(self, job_id: str) -> list[Any]:
        """Fetches all events of a job, checks the ones seen before are unchanged, remembers the new."""
        events = all_events(self.client, job_id)
        current = {event.id: event.model_dump() for event in events}
        for event_id, fields in self.seen_events.items():
            if fields["job"] != job_id:
                continue
            check(event_id in current, f"event {event_id} seen before the interruption is gone", fields)
            now = {**current[event_id], "job": job_id}
            check(now == fields, f"event {event_id} changed across the interruption", fields, now)
        for event_id, fields in current.items():
            self.seen_events.setdefault(event_id, {**fields, "job": job_id})
        return events

    def progress(self) -> tuple[Any, int, int, int]:
        """(job, last metrics step, total steps, step of the newest checkpoint or 0) right now."""
        job = self.client.fine_tuning.jobs.retrieve(self.job.id)
        recent = self.client.fine_tuning.jobs.list_events(self.job.id, limit=50).data
        metrics = metrics_of(recent)
        step = metrics[-1]["step"] if metrics else 0
        total = metrics[-1]["total_steps"] if metrics else 0
        checkpoints = self.client.fine_tuning.jobs.checkpoints.list(self.job.id, limit=1).data
        return job, step, total, (checkpoints[0].step_number if checkpoints else 0)

    def wait_mid_training(self, min_step: int, past_checkpoint: int, what: str) -> int:
        """Waits until the job runs at step ≥ min_step, with a checkpoint at least `past_checkpoint`
        steps behind it (so steps after the checkpoint are lost and must be redone), and still well
        before its last step. Returns the step."""
        deadline = time.monotonic() + self.args.job_timeout
        while True:
            job, step, total, checkpoint = self.progress()
            check(job.status not in TERMINAL, f"the job ended {job.status} before {what}: make it longer "
                  "(E2E_CRASH_EXAMPLES / E2E_CRASH_EPOCHS)", job)
            if job.status == "running" and step >= min_step and checkpoint > 0 and step >= checkpoint + past_checkpoint:
                check(step <= total - 3, f"the job is at step {step}/{total}, too close to its end for {what}: "
                      "make it longer (E2E_CRASH_EXAMPLES / E2E_CRASH_EPOCHS)", job)
                log(f"{what} at step {step}/{total}, newest checkpoint at step {checkpoint}")
                return step
            check(time.monotonic() < deadline, f"no progress to step {min_step} for {what}", job)
            time.sleep(0.4)

    def snapshot_files(self) -> None:
        for name, created in self.files.items():
            fetched = self.client.files.retrieve(created.id)
            check(fetched.model_dump() == created.model_dump(), f"file {name} changed", created, fetched)
            content = self.client.files.content(created.id).content
            check(content == self.paths[name].read_bytes(), f"content of {name} ({created.id}) is not byte-identical")

    # ------------------------------------------------------------ steps

    def setup(self) -> None:
        self.start()
        examples = self.args.examples
        write_jsonl(self.workdir / "pricing_train.jsonl", pricing_examples(examples, seed=11, features=1))
        write_jsonl(self.workdir / "pricing_valid.jsonl", pricing_examples(12, seed=99))
        write_jsonl(self.workdir / "capitals_small.jsonl", capital_datasets(train=12, valid=0)[0])
        for name in ("pricing_train.jsonl", "pricing_valid.jsonl", "capitals_small.jsonl"):
            self.paths[name] = self.workdir / name
            self.files[name] = upload(self.client, self.paths[name])
        self.job = self.client.fine_tuning.jobs.create(
            model=self.args.model, training_file=self.files["pricing_train.jsonl"].id,
            validation_file=self.files["pricing_valid.jsonl"].id, seed=7, suffix="crash",
            hyperparameters={"n_epochs": self.args.epochs, "batch_size": 4}, metadata={"suite": "crash"})
        log(f"job {self.job.id}: {examples} examples, {self.args.epochs} epochs, batch size 4")

    def sigkill(self) -> None:
        step = self.wait_mid_training(min_step=1, past_checkpoint=2, what="SIGKILL")
        self.queued_job = self.client.fine_tuning.jobs.create(
            model=self.args.model, training_file=self.files["capitals_small.jsonl"].id,
            hyperparameters={"n_epochs": 1, "batch_size": 4}, suffix="queued")
        self.remember_events(self.job.id)
        self.remember_events(self.queued_job.id)
        self.killed_at_step = step
        self.server.kill()
        check(not self.server.alive(), "the server survived SIGKILL")

    def restart_after_kill(self) -> None:
        self.start()
        self.snapshot_files()
        job = self.client.fine_tuning.jobs.retrieve(self.job.id)
        for field in ("created_at", "model", "seed", "training_file", "validation_file", "metadata"):
            check(getattr(job, field) == getattr(self.job, field), f"job.{field} changed across SIGKILL", self.job, job)
        check(job.status in ("queued", "running"), f"the killed job is {job.status} after restart", job)
        queued = self.client.fine_tuning.jobs.retrieve(self.queued_job.id)
        check(queued.status in ("validating_files", "queued", "running"),
              f"the job queued at the crash is {queued.status} after restart", queued)
        log(f"after restart: the killed job is {job.status}, the queued one {queued.status}")
        self.remember_events(self.job.id)
        self.remember_events(self.queued_job.id)
        ids = [j.id for j in walk(self.client.fine_tuning.jobs.list(limit=1), "jobs.list")]
        check({self.job.id, self.queued_job.id} <= set(ids), "jobs.list lost a job", ids)

    def sigterm(self) -> None:
        step = self.wait_mid_training(min_step=self.killed_at_step + 3, past_checkpoint=0, what="SIGTERM")
        self.remember_events(self.job.id)
        code, seconds = self.server.terminate(timeout=self.args.sigterm_timeout)
        if code is None:
            self.server.kill()
        check(code is not None, f"the server did not exit within {self.args.sigterm_timeout:.0f}s of SIGTERM")
        check(code == 0, f"the server exited with status {code} after SIGTERM\n{self.server.log_tail()}")
        self.terminated_at_step = step
        log(f"exited {seconds:.1f}s after SIGTERM (status {code})")
        folder = Path(self.args.home) / "runs" / self.job.id / "checkpoints"
        steps = sorted(int(path.name.removeprefix("step-")) for path in folder.glob("step-*")
                       if path.name.removeprefix("step-").isdigit())
        log(f"run checkpoints on disk after SIGTERM: steps {steps}")
        check(steps and steps[-1] >= step, f"no checkpoint at or after step {step} in {folder} after SIGTERM: "
              f"the server did not checkpoint before exiting (on disk: {steps})")

    def restart_after_term(self) -> None:
        self.start()
        self.snapshot_files()
        self.remember_events(self.job.id)

    def finish(self) -> None:
        started = time.monotonic()
        self.job, statuses = wait_for_job(self.client, self.job.id, timeout=self.args.job_timeout, poll=0.5)
        check(self.job.status == "succeeded", f"the interrupted job ended {self.job.status}", self.job)
        queued, _ = wait_for_job(self.client, self.queued_job.id, timeout=self.args.job_timeout, poll=0.5)
        check(queued.status == "succeeded", f"the job queued at the crash ended {queued.status}", queued)
        log(f"both jobs succeeded {time.monotonic() - started:.0f}s after the last restart")

    def final_checks(self) -> None:
        job = self.job
        check(job.fine_tuned_model and job.fine_tuned_model.startswith("ft:") and ":crash:" in job.fine_tuned_model,
              "fine_tuned_model", job)
        check(isinstance(job.trained_tokens, int) and job.trained_tokens > 0, "trained_tokens", job)
        events = self.remember_events(job.id)
        self.remember_events(self.queued_job.id)
        chronological = list(reversed(events))
        steps = [e.data["step"] for e in chronological if e.type == "metrics" and isinstance(e.data, dict)]
        check(all(a < b for a, b in zip(steps, steps[1:])), f"metrics steps not increasing in event order: {steps}")
        metrics = metrics_of(events)
        check_metrics(metrics, job, need_validation=True)
        check(metrics[-1]["step"] == metrics[-1]["total_steps"], "the last metrics step is not total_steps", metrics[-1])
        log(f"{len(events)} events, metrics steps 1..{steps[-1]} ({len(steps)} events), "
            f"killed at {self.killed_at_step}, terminated at {self.terminated_at_step}")
        checkpoints = walk(self.client.fine_tuning.jobs.checkpoints.list(job.id, limit=2), "checkpoints")
        check_checkpoints(checkpoints, job)
        check(checkpoints[0].step_number == metrics[-1]["total_steps"], "the newest checkpoint is not the last step",
              checkpoints)
        self.snapshot_files()
        reply = self.client.chat.completions.create(model=job.fine_tuned_model, messages=capital_prompt("Peru"),
                                                    max_tokens=8, temperature=0)
        check(reply.choices and reply.choices[0].message.content is not None, "chat with the resumed model", reply)
        log(f"checkpoints {[c.step_number for c in checkpoints]}; the model answers {reply.choices[0].message.content!r}")

    def close(self) -> None:
        self.server.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", default=os.environ.get("FINETUNE_HOME"),
                        help="the finetune home with the base model registered (default $FINETUNE_HOME)")
    parser.add_argument("--finetune-bin", default=None, help="default $FINETUNE_BIN, else the debug build")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--workdir", help="data files and server log (default: a temp folder)")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("E2E_CRASH_EXAMPLES", 96)))
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("E2E_CRASH_EPOCHS", 2)))
    parser.add_argument("--job-timeout", type=float, default=float(os.environ.get("E2E_JOB_TIMEOUT", 600)))
    parser.add_argument("--start-timeout", type=float, default=120)
    parser.add_argument("--sigterm-timeout", type=float, default=float(os.environ.get("E2E_SIGTERM_TIMEOUT", 60)))
    args = parser.parse_args()
    if not args.home:
        parser.error("--home (or $FINETUNE_HOME) is required")
    args.finetune_bin = args.finetune_bin or finetune_binary()
    return args


def main() -> int:
    test = CrashTest(parse_args())
    runner = StepRunner("crash test")
    print(f"crash test: server log in {test.server.log_path}", flush=True)
    try:
        for name, step in [
            ("start, upload, create a long job", test.setup),
            ("SIGKILL mid-training with a job queued", test.sigkill),
            ("restart: files, jobs and events intact", test.restart_after_kill),
            ("SIGTERM mid-training: exits after a step and a checkpoint", test.sigterm),
            ("restart after SIGTERM", test.restart_after_term),
            ("both jobs finish succeeded", test.finish),
            ("events, metrics, checkpoints and files after the interruptions", test.final_checks),
        ]:
            runner.run(name, step)
    finally:
        if runner.failed:
            print("     server log tail:\n" + "\n".join("       " + line for line in test.server.log_tail(30).splitlines()))
        test.close()
    return runner.summary()


if __name__ == "__main__":
    sys.exit(main())
