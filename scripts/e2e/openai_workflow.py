#!/usr/bin/env python3
"""End-to-end test of `finetune serve` with the official OpenAI Python SDK.

Runs the workflow of the reference documents (../shared/reference: upload train and validation
JSONL, create a job with n_epochs / seed / suffix, poll it, list events with metrics, list
checkpoints, chat with the fine-tuned model streaming and not, list models) against a running
server, and checks what API.md says must hold, including the error cases, cancel, pause and
resume, and strict response validation.

    python scripts/e2e/openai_workflow.py --base-url http://127.0.0.1:8089/v1 --api-key KEY

--base-url defaults to $OPENAI_BASE_URL, --api-key to $OPENAI_API_KEY. Pass --api-key-required
when the server was started with --api-key (then a wrong key must give 401). The job is tiny (40
"capital of X" examples, 3 epochs), a minute or two on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DEFAULT_MODEL, StepRunner, all_events, capital_datasets, capital_prompt, check, check_checkpoints,
    check_error_shape,
    check_metrics, check_status_order, expect_error, log, metrics_of, openai_client, should, upload,
    wait_for_job, walk, write_jsonl,
)

import openai  # noqa: E402

SUFFIX = "e2e-capitals"
SEED = 1234
EPOCHS = 3


class Workflow:
    """The steps, sharing what earlier steps created."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.base_url = args.base_url.rstrip("/")
        self.model = args.model
        self.client = openai_client(self.base_url, args.api_key)
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="finetune-e2e-"))
        self.train_path = self.workdir / "capitals_train.jsonl"
        self.valid_path = self.workdir / "capitals_valid.jsonl"
        self.train_file: Any = None
        self.valid_file: Any = None
        self.job: Any = None
        self.events: list[Any] = []
        self.checkpoints: list[Any] = []
        self.metadata = {"suite": "e2e", "run": f"{os.getpid()}-{int(time.time())}", "empty": ""}

    # ------------------------------------------------------------ health, auth, models

    def health(self) -> None:
        root = self.base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/health", timeout=30) as response:
            check(response.status == 200, f"/health answered {response.status}")

    def authentication(self) -> None:
        """A wrong key and a missing header both give 401 in the OpenAI error shape."""
        if not self.args.api_key_required:
            log("skipped: the server has no API key (pass --api-key-required)")
            return
        wrong = openai_client(self.base_url, "sk-wrong-key")
        expect_error(openai.AuthenticationError, lambda: wrong.models.list(), "models.list with a wrong key")
        expect_error(openai.AuthenticationError, lambda: wrong.fine_tuning.jobs.list(), "jobs.list with a wrong key")
        request = urllib.request.Request(f"{self.base_url}/models")  # no Authorization header
        try:
            urllib.request.urlopen(request, timeout=30)
            check(False, "GET /v1/models without Authorization succeeded")
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            check(error.code == 401, f"GET /v1/models without Authorization gave {error.code}", body)
            check(set(json.loads(body).get("error", {})) >= {"message", "type", "param", "code"},
                  "the 401 body is not the OpenAI error shape", body)

    def base_model_listed(self) -> None:
        models = self.client.models.list()
        ids = [m.id for m in models.data]
        check(self.model in ids, f"models.list lacks the base model {self.model}", models)
        for model in models.data:
            check(model.object == "model" and isinstance(model.created, int) and model.owned_by,
                  "a model lacks object/created/owned_by", model)
        base = self.client.models.retrieve(self.model)
        check(base.id == self.model and base.owned_by == "system", "models.retrieve(base)", base)

    # ------------------------------------------------------------ files

    def upload_files(self) -> None:
        train, valid = capital_datasets(train=40, valid=8)
        write_jsonl(self.train_path, train)
        write_jsonl(self.valid_path, valid)
        self.train_file = upload(self.client, self.train_path)
        self.valid_file = upload(self.client, self.valid_path)
        for created, path in ((self.train_file, self.train_path), (self.valid_file, self.valid_path)):
            check(created.id.startswith("file-"), "file id prefix", created)
            check(created.object == "file" and created.purpose == "fine-tune", "file object/purpose", created)
            check(created.filename == path.name, f"filename is not {path.name}", created)
            check(created.bytes == path.stat().st_size, f"bytes is not {path.stat().st_size}", created)
            check(isinstance(created.created_at, int), "created_at is not an int", created)
        log(f"train {self.train_file.id} ({self.train_file.bytes} B), valid {self.valid_file.id}")

    def file_reads(self) -> None:
        for created, path in ((self.train_file, self.train_path), (self.valid_file, self.valid_path)):
            fetched = self.client.files.retrieve(created.id)
            check(fetched.id == created.id and fetched.bytes == created.bytes and fetched.status == "processed",
                  "files.retrieve differs from files.create", fetched, created)
            content = self.client.files.content(created.id).content
            check(content == path.read_bytes(), f"files.content of {created.id} differs from the upload "
                  f"({len(content)} vs {path.stat().st_size} bytes)")
        listed = walk(self.client.files.list(limit=1), "files.list(limit=1)")
        ids = [f.id for f in listed]
        check({self.train_file.id, self.valid_file.id} <= set(ids), "files.list lacks the uploads", ids)
        check(ids.index(self.valid_file.id) < ids.index(self.train_file.id), "files.list is not newest first", ids)
        ascending = [f.id for f in walk(self.client.files.list(order="asc", limit=2), "files.list(asc)")]
        check(ascending == list(reversed(ids)), "files.list(order='asc') is not the reverse of desc", ascending, ids)
        purposes = self.client.files.list(purpose="fine-tune")
        check(all(f.purpose == "fine-tune" for f in purposes.data), "files.list(purpose=) filter", purposes)

    def invalid_training_file(self) -> None:
        """An invalid line is reported with its line number by one of the four flows of API.md §6.0."""
        path = self.workdir / "broken.jsonl"
        train, _ = capital_datasets(train=12, valid=0)
        lines = [json.dumps(row) for row in train]
        lines[3] = '{"messages": [{"role": "user", "content": "no closing brace"}'
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        flow = self._invalid_file_flow(path, "Line 4")
        log(f"invalid JSON on line 4 reported via flow {flow}")
        no_answer = self.workdir / "no_assistant.jsonl"
        rows = capital_datasets(train=12, valid=0)[0]
        rows[1] = {"messages": capital_prompt("Atlantis")}
        write_jsonl(no_answer, rows)
        flow = self._invalid_file_flow(no_answer, "Line 2")
        log(f"missing assistant message on line 2 reported via flow {flow}")

    def _invalid_file_flow(self, path: Path, line: str) -> str:
        try:
            with open(path, "rb") as handle:
                uploaded = self.client.files.create(file=handle, purpose="fine-tune")
        except openai.BadRequestError as error:  # flow (a)
            check(line.lower() in str(error).lower(), f"the upload error does not name {line}", error.body)
            return "a (upload rejected)"
        if uploaded.status == "uploaded":
            uploaded = self.client.files.wait_for_processing(uploaded.id, poll_interval=0.5, max_wait_seconds=60)
        if uploaded.status == "error":  # flow (b)
            check(line.lower() in (uploaded.status_details or "").lower(),
                  f"status_details does not name {line}", uploaded)
            expect_error(openai.BadRequestError, lambda: self._create_job(uploaded.id),
                         "creating a job on a file with status error")
            return "b (status error, job create 400)"
        try:
            job = self._create_job(uploaded.id)
        except openai.BadRequestError as error:  # flow (c)
            check(line.lower() in str(error).lower(), f"the job create error does not name {line}", error.body)
            return "c (job create 400)"
        job, _ = wait_for_job(self.client, job.id, timeout=120, poll=0.5,
                              until=lambda j: j.status in ("failed", "succeeded", "cancelled"))
        check(job.status == "failed", "a job on an invalid file did not fail", job)  # flow (d)
        check(job.error is not None and job.error.code == "invalid_training_file", "job.error.code", job)
        check(line.lower() in job.error.message.lower(), f"job.error.message does not name {line}", job)
        return "d (job failed)"

    def _create_job(self, training_file: str, **options: Any) -> Any:
        return self.client.fine_tuning.jobs.create(model=self.model, training_file=training_file, **options)

    # ------------------------------------------------------------ job creation errors

    def bad_requests(self) -> None:
        f = self.train_file.id
        cases = [
            ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
            ({"hyperparameters": {"batch_size": -1}}, "hyperparameters.batch_size"),
            ({"hyperparameters": {"learning_rate_multiplier": 0}}, "hyperparameters.learning_rate_multiplier"),
            ({"hyperparameters": {"n_epochs": "many"}}, "hyperparameters.n_epochs"),
            ({"suffix": "has:colon"}, "suffix"),
        ]
        for options, param in cases:
            error = expect_error(openai.BadRequestError, lambda: self._create_job(f, **options),
                                 f"jobs.create with {options}")
            check(error.body.get("param") == param, f"param for {options} is not {param}", error.body)
        expect_error((openai.NotFoundError, openai.BadRequestError),
                     lambda: self.client.fine_tuning.jobs.create(model="no-such-model", training_file=f),
                     "jobs.create with an unknown base model")
        expect_error((openai.NotFoundError, openai.BadRequestError), lambda: self._create_job("file-doesnotexist"),
                     "jobs.create with an unknown training file")

    def not_found(self) -> None:
        c = self.client
        calls = {
            "jobs.retrieve": lambda: c.fine_tuning.jobs.retrieve("ftjob-doesnotexist"),
            "jobs.list_events": lambda: c.fine_tuning.jobs.list_events("ftjob-doesnotexist"),
            "jobs.checkpoints.list": lambda: c.fine_tuning.jobs.checkpoints.list("ftjob-doesnotexist"),
            "jobs.cancel": lambda: c.fine_tuning.jobs.cancel("ftjob-doesnotexist"),
            "files.retrieve": lambda: c.files.retrieve("file-doesnotexist"),
            "files.content": lambda: c.files.content("file-doesnotexist"),
            "files.delete": lambda: c.files.delete("file-doesnotexist"),
            "models.retrieve": lambda: c.models.retrieve("ft:nobody:local:x:abc"),
            "models.retrieve with /": lambda: c.models.retrieve("org/some-model"),
            "models.delete": lambda: c.models.delete("ft:nobody:local:x:abc"),
        }
        for name, call in calls.items():
            expect_error(openai.NotFoundError, call, f"{name} of an unknown id")
        error = expect_error(openai.NotFoundError, lambda: c.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}], max_tokens=4),
            "chat with an unknown model")
        check(error.body.get("param") == "model" and error.body.get("code") == "model_not_found",
              "chat 404 has param model / code model_not_found", error.body)
        try:
            c.fine_tuning.jobs.list(after="ftjob-doesnotexist")
            should(False, "jobs.list with an unknown after cursor gives 400")
        except openai.BadRequestError as error:
            check_error_shape(error, "jobs.list with an unknown after cursor")

    # ------------------------------------------------------------ the job

    def create_job(self) -> None:
        integrations = [{"type": "wandb", "wandb": {"project": "finetune-e2e", "name": "capitals"}}]
        self.job = self._create_job(
            self.train_file.id, validation_file=self.valid_file.id, hyperparameters={"n_epochs": EPOCHS},
            seed=SEED, suffix=SUFFIX, metadata=self.metadata, integrations=integrations)
        job = self.job
        check(job.id.startswith("ftjob-") and job.object == "fine_tuning.job", "job id/object", job)
        check(job.status in ("validating_files", "queued"), f"a new job is {job.status}", job)
        check(job.model == self.model, "job.model", job)
        check(job.training_file == self.train_file.id and job.validation_file == self.valid_file.id, "files", job)
        check(job.seed == SEED, "seed not echoed", job)
        check(job.metadata == self.metadata, "metadata not echoed", job)
        check(job.integrations and job.integrations[0].wandb.project == "finetune-e2e", "integrations not echoed", job)
        check(job.fine_tuned_model is None and job.finished_at is None and job.result_files == [],
              "a new job already has results", job)
        check(job.organization_id, "organization_id missing", job)
        log(f"job {job.id} created ({job.status})")

    def list_jobs(self) -> None:
        jobs = walk(self.client.fine_tuning.jobs.list(limit=1), "jobs.list(limit=1)")
        check(self.job.id in [j.id for j in jobs], "jobs.list lacks the job", [j.id for j in jobs])
        mine = {"suite": "e2e", "run": self.metadata["run"]}
        filtered = self.client.fine_tuning.jobs.list(metadata=mine)
        check([j.id for j in filtered.data] == [self.job.id], f"jobs.list(metadata={mine})", filtered)
        empty_value = self.client.fine_tuning.jobs.list(metadata={**mine, "empty": ""})
        check([j.id for j in empty_value.data] == [self.job.id], "metadata[empty]= matches an empty value", empty_value)
        other = self.client.fine_tuning.jobs.list(metadata={**mine, "suite": "other"})
        check(other.data == [] and other.has_more is False, "jobs.list(metadata=suite:other)", other)

    def wait_until_done(self) -> None:
        started = time.monotonic()
        resolved: list[Any] = []

        def progress(job: Any) -> bool:
            if job.status in ("queued", "running", "succeeded") and not resolved:
                resolved.append(job.hyperparameters)
            return job.status in ("succeeded", "failed", "cancelled")

        self.job, statuses = wait_for_job(self.client, self.job.id, timeout=self.args.job_timeout,
                                          poll=0.5, until=progress)
        log(f"statuses {' → '.join(statuses)} in {time.monotonic() - started:.0f}s")
        job = self.job
        check(job.status == "succeeded", f"the job ended {job.status}", job)
        check_status_order(statuses, job)
        hyper = resolved[0] if resolved else job.hyperparameters
        check(hyper.n_epochs == EPOCHS, "n_epochs not kept", job)
        check(isinstance(hyper.batch_size, int) and isinstance(hyper.learning_rate_multiplier, (int, float)),
              "hyperparameters not resolved to numbers after validating_files", hyper)
        check(job.method is not None and job.method.type == "supervised", "method", job)

    def job_results(self) -> None:
        job = self.job
        name = job.fine_tuned_model or ""
        check(name.startswith(f"ft:{self.model}:") and f":{SUFFIX}:" in name,
              f"fine_tuned_model {name!r} is not ft:{self.model}:<org>:{SUFFIX}:<id>", job)
        check(isinstance(job.finished_at, int) and job.finished_at >= job.created_at, "finished_at", job)
        check(isinstance(job.trained_tokens, int) and job.trained_tokens > 0, "trained_tokens > 0", job)
        check(job.error is None, "a succeeded job has an error", job)
        log(f"fine-tuned model {name}, {job.trained_tokens} trained tokens")
        if job.result_files:
            result = self.client.files.retrieve(job.result_files[0])
            check(result.purpose == "fine-tune-results", "result file purpose", result)
            header = self.client.files.content(result.id).text.splitlines()[0]
            check(header.startswith("step,train_loss"), f"results CSV header {header!r}")
        else:
            log("note: no result file (SHOULD, not MUST)")

    def events_and_metrics(self) -> None:
        self.events = all_events(self.client, self.job.id, page_size=7)
        events = self.events
        check(len(events) >= 2, "a terminal job has fewer than 2 events", events)
        for event in events:
            check(event.object == "fine_tuning.job.event" and event.id.startswith("ftevent-"), "event object/id", event)
            check(event.level in ("info", "warn", "error"), "event level", event)
            check(isinstance(event.created_at, int) and isinstance(event.message, str), "event fields", event)
            check(event.type in ("message", "metrics"), "event type", event)
        times = [e.created_at for e in events]
        check(times == sorted(times, reverse=True), "events are not newest first", times)
        check(f"Created fine-tuning job: {self.job.id}" in events[-1].message,
              "the oldest event is not 'Created fine-tuning job: <id>'", events[-1])
        metrics = metrics_of(events)
        check_metrics(metrics, self.job, need_validation=True)
        log(f"{len(events)} events, {len(metrics)} metrics events, last {json.dumps(metrics[-1])}")
        self._manual_pages()

    def _manual_pages(self) -> None:
        """Walking with limit/after by hand gives the same events, and has_more ends false."""
        ids, after, pages = [], None, 0
        while True:
            page = self.client.fine_tuning.jobs.list_events(self.job.id, limit=5, **({"after": after} if after else {}))
            pages += 1
            check(page.has_more is not None, "has_more missing", page)
            ids += [e.id for e in page.data]
            if not page.has_more:
                break
            check(page.data, "has_more true on an empty page", page)
            after = page.data[-1].id
            check(pages < 10_000, "manual pagination did not end")
        check(ids == [e.id for e in self.events], "limit/after pages differ from the auto-paginated list")
        first = self.client.fine_tuning.jobs.list_events(self.job.id)
        check(len(first.data) == min(20, len(self.events)), "the default events limit is not 20", len(first.data))

    def checkpoints_list(self) -> None:
        self.checkpoints = walk(self.client.fine_tuning.jobs.checkpoints.list(self.job.id, limit=1),
                                "checkpoints.list(limit=1)")
        check_checkpoints(self.checkpoints, self.job)
        log(f"checkpoints at steps {[c.step_number for c in self.checkpoints]}")

    # ------------------------------------------------------------ chat

    def chat(self, model: str, country: str = "France", **options: Any) -> Any:
        options.setdefault("max_tokens", 12)
        return self.client.chat.completions.create(model=model, messages=capital_prompt(country),
                                                   temperature=0, **options)

    def chat_fine_tuned(self) -> None:
        model = self.job.fine_tuned_model
        first = self.chat(model)
        check(first.object == "chat.completion" and first.id.startswith("chatcmpl-"), "completion object/id", first)
        check(first.model == model, "completion.model is not the requested id", first)
        choice = first.choices[0]
        check(choice.message.role == "assistant" and isinstance(choice.message.content, str), "message", first)
        check(choice.finish_reason in ("stop", "length"), "finish_reason", first)
        usage = first.usage
        check(usage and usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 12
              and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, "usage totals", first)
        second = self.chat(model)
        check(second.choices[0].message.content == choice.message.content,
              "temperature 0 is not deterministic across calls", first, second)
        streamed = self._stream(model)
        check(streamed == choice.message.content,
              f"streamed text {streamed!r} differs from non-streamed {choice.message.content!r}")
        base = self.chat(self.model).choices[0].message.content
        log(f"capital of France: fine-tuned {choice.message.content!r}, base {base!r}")
        held_out = self.chat(model, country="Jordan").choices[0].message.content
        log(f"held-out capital of Jordan (validation): fine-tuned {held_out!r}")

    def _stream(self, model: str) -> str:
        started = time.monotonic()
        stream = self.chat(model, stream=True, stream_options={"include_usage": True})
        text, ids, finishes, roles, usage, first = [], set(), 0, 0, None, None
        for chunk in stream:
            first = first or time.monotonic() - started
            check(chunk.object == "chat.completion.chunk", "chunk object", chunk)
            ids.add(chunk.id)
            if not chunk.choices:
                usage = chunk.usage
                continue
            delta = chunk.choices[0].delta
            roles += 1 if delta.role == "assistant" else 0
            if delta.content:
                text.append(delta.content)
            if chunk.choices[0].finish_reason is not None:
                finishes += 1
        check(len(ids) == 1, f"chunk ids differ: {ids}")
        check(roles >= 1, "no chunk carries role assistant")
        check(finishes == 1, f"{finishes} chunks carry finish_reason (must be exactly one)")
        check(usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens,
              "include_usage: no usage chunk, or wrong totals", usage)
        log(f"streaming: first chunk after {1000 * (first or 0):.0f} ms, {len(text)} content chunks")
        return "".join(text)

    def chat_options(self) -> None:
        """n, seed, stop, logprobs and max_completion_tokens on the base model (API.md §8)."""
        c, messages = self.client, capital_prompt("France")
        sampled = [c.chat.completions.create(model=self.model, messages=messages, n=2, temperature=0.9, seed=5,
                                             max_completion_tokens=6) for _ in range(2)]
        first = sampled[0]
        check([choice.index for choice in first.choices] == [0, 1], "n=2: choice indices are not 0, 1", first)
        check(2 <= first.usage.completion_tokens <= 12, "n=2: usage counts both choices", first)
        check([x.message.content for x in sampled[1].choices] == [x.message.content for x in first.choices],
              "the same seed gave different samples", first, sampled[1])
        short = c.chat.completions.create(model=self.model, messages=messages, temperature=0, max_completion_tokens=3)
        check(short.usage.completion_tokens <= 3, "max_completion_tokens=3 not honoured", short)
        full = c.chat.completions.create(model=self.model, messages=messages, temperature=0, max_tokens=16)
        text = full.choices[0].message.content or ""
        words = text.split()
        if len(words) >= 3:
            stop = " " + words[2]
            cut = c.chat.completions.create(model=self.model, messages=messages, temperature=0, max_tokens=16,
                                            stop=[stop, "never-there"])
            check(cut.choices[0].finish_reason == "stop", f"stop={stop!r}: finish_reason is not stop", cut)
            check(cut.choices[0].message.content == text[:text.index(stop)],
                  f"stop={stop!r}: the output is not the text before the stop sequence ({text!r})", cut)
        else:
            log(f"note: the base model's answer {text!r} is too short to test stop")
        scored = c.chat.completions.create(model=self.model, messages=messages, temperature=0, max_tokens=4,
                                           logprobs=True, top_logprobs=2)
        entries = scored.choices[0].logprobs.content if scored.choices[0].logprobs else None
        check(entries and len(entries) == scored.usage.completion_tokens, "one logprobs entry per token", scored)
        for entry in entries:
            check(entry.logprob <= 0 and isinstance(entry.bytes, list) and len(entry.top_logprobs) == 2,
                  "logprob ≤ 0, bytes, two top_logprobs", entry)
        plain = c.chat.completions.create(model=self.model, messages=messages, temperature=0, max_tokens=2)
        check(plain.choices[0].logprobs is None, "logprobs present although not requested", plain)

    def chat_checkpoint(self) -> None:
        oldest = self.checkpoints[-1]
        reply = self.chat(oldest.fine_tuned_model_checkpoint)
        check(reply.choices[0].message.content is not None, "checkpoint chat gave no content", reply)
        log(f"checkpoint {oldest.fine_tuned_model_checkpoint}: {reply.choices[0].message.content!r}")

    # ------------------------------------------------------------ models, strict parsing, cancel, delete

    def models_after(self) -> None:
        ids = [m.id for m in self.client.models.list().data]
        check(self.model in ids and self.job.fine_tuned_model in ids,
              "models.list lacks the base or the fine-tuned model", ids)
        model = self.client.models.retrieve(self.job.fine_tuned_model)
        check(model.id == self.job.fine_tuned_model and model.owned_by == self.job.organization_id,
              "models.retrieve(ft): owned_by is the organization", model)

    def strict_parsing(self) -> None:
        """Every object validates with the SDK's strict parser (the job is not paused)."""
        strict = openai_client(self.base_url, self.args.api_key, _strict_response_validation=True)
        job_id = self.job.id
        strict.fine_tuning.jobs.retrieve(job_id)
        walk(strict.fine_tuning.jobs.list(limit=2), "strict jobs.list")
        walk(strict.fine_tuning.jobs.list_events(job_id, limit=50), "strict list_events")
        walk(strict.fine_tuning.jobs.checkpoints.list(job_id), "strict checkpoints.list")
        strict.files.retrieve(self.train_file.id)
        walk(strict.files.list(), "strict files.list")
        strict.models.list()
        strict.models.retrieve(self.job.fine_tuned_model)
        strict.chat.completions.create(model=self.model, messages=capital_prompt("Peru"), max_tokens=4, temperature=0)
        for _ in strict.chat.completions.create(model=self.model, messages=capital_prompt("Peru"), max_tokens=4,
                                                temperature=0, stream=True):
            pass

    def cancel(self) -> None:
        """Cancelling says cancelled at once and stays so; a terminal job cannot be cancelled."""
        job = self._create_job(self.train_file.id, hyperparameters={"n_epochs": 1}, suffix="to-cancel")
        cancelled = self.client.fine_tuning.jobs.cancel(job.id)
        check(cancelled.status == "cancelled", "the cancel response is not cancelled", cancelled)
        time.sleep(2)
        later = self.client.fine_tuning.jobs.retrieve(job.id)
        check(later.status == "cancelled" and later.fine_tuned_model is None, "a cancelled job changed", later)
        check(isinstance(later.finished_at, int), "finished_at is not set on cancel", later)
        check(len(all_events(self.client, job.id)) >= 2, "a cancelled job has fewer than 2 events")
        expect_error(openai.BadRequestError, lambda: self.client.fine_tuning.jobs.cancel(self.job.id),
                     "cancel of a succeeded job")

    def pause_resume(self) -> None:
        """Pause stops a running job after a step, resume continues it; then cancelling it while it
        runs publishes no model. (SHOULD in API.md: a 400 `unsupported` answer is accepted.)"""
        job = self._create_job(self.train_file.id, hyperparameters={"n_epochs": 3}, suffix="to-pause")
        job, _ = wait_for_job(self.client, job.id, timeout=self.args.job_timeout, poll=0.3,
                              until=lambda j: j.status == "running" and self._last_step(j.id) >= 1)
        try:
            paused = self.client.fine_tuning.jobs.pause(job.id)
        except openai.BadRequestError as error:
            check(error.body.get("code") == "unsupported", "pause refused without code unsupported", error.body)
            log("pause is unsupported (400 unsupported)")
            self.client.fine_tuning.jobs.cancel(job.id)
            return
        check(paused.status == "paused", "the pause response is not paused", paused)
        step = self._wait_until_still(job.id, quiet=3, timeout=60)
        check(self.client.fine_tuning.jobs.retrieve(job.id).status == "paused", "the job left paused by itself")
        resumed = self.client.fine_tuning.jobs.resume(job.id)
        check(resumed.status in ("queued", "running"), "the resume response is not queued or running", resumed)
        wait_for_job(self.client, job.id, timeout=self.args.job_timeout, poll=0.3,
                     until=lambda j: j.status == "running" and self._last_step(j.id) > step)
        log(f"paused after step {step}, resumed and trained on")
        cancelled = self.client.fine_tuning.jobs.cancel(job.id)
        check(cancelled.status == "cancelled", "cancelling a running job", cancelled)
        time.sleep(2)
        later = self.client.fine_tuning.jobs.retrieve(job.id)
        check(later.status == "cancelled" and later.fine_tuned_model is None, "a cancelled job changed", later)

    def _wait_until_still(self, job_id: str, quiet: float, timeout: float) -> int:
        """The step a paused job stops at: the last metrics step once it has not moved for `quiet`
        seconds (the step in flight when the pause came may still finish)."""
        deadline = time.monotonic() + timeout
        step, since = self._last_step(job_id), time.monotonic()
        while time.monotonic() - since < quiet:
            check(time.monotonic() < deadline, f"a paused job kept training for {timeout:.0f}s (step {step})")
            time.sleep(0.5)
            now = self._last_step(job_id)
            if now != step:
                step, since = now, time.monotonic()
        return step

    def _last_step(self, job_id: str) -> int:
        metrics = metrics_of(self.client.fine_tuning.jobs.list_events(job_id, limit=50).data)
        return metrics[-1]["step"] if metrics else 0

    def delete_model(self) -> None:
        name = self.job.fine_tuned_model
        expect_error((openai.PermissionDeniedError, openai.BadRequestError),
                     lambda: self.client.models.delete(self.model), "models.delete of the base model")
        deleted = self.client.models.delete(name)
        check(deleted.id == name and deleted.deleted is True and deleted.object == "model", "models.delete", deleted)
        expect_error(openai.NotFoundError, lambda: self.client.models.retrieve(name), "models.retrieve after delete")
        expect_error(openai.NotFoundError, lambda: self.chat(name), "chat with a deleted model")
        check(name not in [m.id for m in self.client.models.list().data], "a deleted model is still listed")
        job = self.client.fine_tuning.jobs.retrieve(self.job.id)
        check(job.status == "succeeded" and job.fine_tuned_model == name, "deleting the model changed the job", job)

    def delete_file(self) -> None:
        path = self.workdir / "scratch.jsonl"
        write_jsonl(path, capital_datasets(train=2, valid=0)[0])  # uploads are never refused for few lines
        scratch = upload(self.client, path)
        deleted = self.client.files.delete(scratch.id)
        check(deleted.id == scratch.id and deleted.deleted is True, "files.delete", deleted)
        expect_error(openai.NotFoundError, lambda: self.client.files.retrieve(scratch.id), "files.retrieve after delete")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"),
                        help="the server's /v1 URL (default $OPENAI_BASE_URL)")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "sk-local"))
    parser.add_argument("--api-key-required", action="store_true",
                        help="the server was started with --api-key: check that a wrong key gives 401")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the base model id")
    parser.add_argument("--workdir", help="where to write the JSONL files (default: a temp folder)")
    parser.add_argument("--job-timeout", type=float, default=float(os.environ.get("E2E_JOB_TIMEOUT", 600)))
    args = parser.parse_args()
    if not args.base_url:
        parser.error("--base-url (or $OPENAI_BASE_URL) is required")
    return args


def main() -> int:
    args = parse_args()
    flow = Workflow(args)
    runner = StepRunner("OpenAI SDK workflow")
    print(f"OpenAI SDK {openai.__version__} against {flow.base_url}", flush=True)
    for name, step in [
        ("GET /health", flow.health),
        ("authentication: wrong or missing key gives 401", flow.authentication),
        ("models.list has the base model", flow.base_model_listed),
        ("files.create train and validation", flow.upload_files),
        ("files.retrieve / content / list", flow.file_reads),
        ("invalid training files name the line", flow.invalid_training_file),
        ("jobs.create: bad hyperparameters and unknown ids give 400/404", flow.bad_requests),
        ("unknown ids give 404", flow.not_found),
        ("jobs.create (n_epochs, seed, suffix, validation file)", flow.create_job),
        ("jobs.list with pagination and metadata filter", flow.list_jobs),
        ("jobs.retrieve until terminal", flow.wait_until_done),
        ("job results", flow.job_results),
        ("jobs.list_events with metrics", flow.events_and_metrics),
        ("jobs.checkpoints.list", flow.checkpoints_list),
        ("chat with the fine-tuned model, streaming and not", flow.chat_fine_tuned),
        ("chat with a checkpoint model", flow.chat_checkpoint),
        ("chat options: n, seed, stop, logprobs, max_completion_tokens", flow.chat_options),
        ("models.list / retrieve the fine-tuned model", flow.models_after),
        ("strict response validation", flow.strict_parsing),
        ("jobs.cancel", flow.cancel),
        ("jobs.pause / resume, then cancel while running", flow.pause_resume),
        ("models.delete then 404", flow.delete_model),
        ("files.delete then 404", flow.delete_file),
    ]:
        runner.run(name, step)
    return runner.summary()


if __name__ == "__main__":
    sys.exit(main())
