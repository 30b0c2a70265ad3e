"""Shared helpers for the `finetune serve` end-to-end, crash and load tests.

Everything here talks to the server only through the official `openai` SDK or plain HTTP, the way a
user would. The data generators are deterministic, so every run trains on the same bytes.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

LISTENING = re.compile(r"^finetune serve: listening on (http://\S+)\s*$")
TERMINAL = {"succeeded", "failed", "cancelled"}
STATUS_ORDER = ["validating_files", "queued", "running", "succeeded"]
DEFAULT_MODEL = "smollm2-135m-instruct"


# ---------------------------------------------------------------- assertions and reporting

class CheckFailed(AssertionError):
    """A failed check; the message already holds the offending response."""


def dump(value: Any) -> str:
    """A readable rendering of an SDK object (pydantic model), a page or anything else."""
    if hasattr(value, "model_dump_json"):
        try:
            return value.model_dump_json(indent=2)
        except Exception:  # a lenient-parsed model can hold values pydantic cannot serialise
            pass
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, indent=2, default=repr)
        except Exception:
            pass
    return repr(value)


def check(condition: Any, message: str, *context: Any) -> None:
    """Raises CheckFailed with `message` and a dump of every context object when `condition` is false."""
    if condition:
        return
    details = "\n".join(_indent(dump(item)) for item in context)
    raise CheckFailed(message + ("\n" + details if details else ""))


def _indent(text: str, prefix: str = "    ") -> str:
    lines = text.splitlines() or [""]
    if len(lines) > 80:
        lines = lines[:60] + [f"... ({len(lines) - 70} more lines)"] + lines[-10:]
    return "\n".join(prefix + line for line in lines)


def expect_error(kind: type[BaseException] | tuple[type[BaseException], ...], call: Callable[[], Any],
                 what: str) -> BaseException:
    """Runs `call`, which must raise `kind`; returns the exception. Checks the OpenAI error shape."""
    try:
        result = call()
    except kind as error:  # type: ignore[misc]
        check_error_shape(error, what)
        return error
    except Exception as error:
        raise CheckFailed(f"{what}: expected {_names(kind)}, got {type(error).__name__}: {error}\n"
                          + _indent(dump(getattr(error, "body", None)))) from error
    raise CheckFailed(f"{what}: expected {_names(kind)}, but the call succeeded\n" + _indent(dump(result)))


def _names(kind: type[BaseException] | tuple[type[BaseException], ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def check_error_shape(error: BaseException, what: str) -> None:
    """An APIStatusError's body is the inner `error` object with message, type, param and code keys."""
    body = getattr(error, "body", None)
    response = getattr(error, "response", None)
    if response is None:
        return
    check(isinstance(body, dict), f"{what}: the error body is not the OpenAI shape", body, response.text)
    missing = {"message", "type", "param", "code"} - set(body)
    check(not missing, f"{what}: the error object lacks {sorted(missing)}", response.text)
    check(isinstance(body["message"], str) and body["message"], f"{what}: the error has no message", body)
    content_type = response.headers.get("content-type", "")
    check(content_type.startswith("application/json"),
          f"{what}: error Content-Type is {content_type!r}, not application/json", response.text)


class StepRunner:
    """Runs named steps in order, prints one line per step with its time, and stops at the first
    failure (later steps depend on earlier ones). `summary()` returns the process exit status."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.results: list[tuple[str, bool, float]] = []
        self.started = time.monotonic()
        self.failed = False

    def run(self, name: str, function: Callable[[], Any]) -> Any:
        if self.failed:
            return None
        start = time.monotonic()
        try:
            value = function()
        except Exception as error:  # report every kind of failure the same way, then stop
            seconds = time.monotonic() - start
            self.results.append((name, False, seconds))
            self.failed = True
            print(f"FAIL {name} ({seconds:.1f}s)", flush=True)
            if isinstance(error, CheckFailed):
                print(_indent(str(error)), flush=True)
            else:
                print(_indent(f"{type(error).__name__}: {error}"), flush=True)
                body = getattr(error, "body", None)
                if body is not None:
                    print(_indent(dump(body)), flush=True)
                print(_indent("".join(traceback.format_exception(error, limit=-3))), flush=True)
            return None
        seconds = time.monotonic() - start
        self.results.append((name, True, seconds))
        print(f"ok   {name} ({seconds:.1f}s)", flush=True)
        return value

    def summary(self) -> int:
        total = time.monotonic() - self.started
        passed = sum(1 for _, ok, _ in self.results if ok)
        verdict = "FAIL" if self.failed else "PASS"
        print(f"{verdict} {self.title}: {passed}/{len(self.results)} steps passed in {total:.1f}s", flush=True)
        return 1 if self.failed else 0


def log(message: str) -> None:
    print(f"     {message}", flush=True)


def should(condition: Any, message: str) -> None:
    """A SHOULD of API.md: logged when it does not hold, never a failure."""
    if not condition:
        log(f"note (SHOULD, not MUST): {message}")


# ---------------------------------------------------------------- training data

COUNTRIES = [
    ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
    ("Portugal", "Lisbon"), ("Japan", "Tokyo"), ("Canada", "Ottawa"), ("Egypt", "Cairo"),
    ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Chile", "Santiago"), ("Norway", "Oslo"),
    ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Poland", "Warsaw"), ("Greece", "Athens"),
    ("Austria", "Vienna"), ("Ireland", "Dublin"), ("Cuba", "Havana"), ("Russia", "Moscow"),
    ("China", "Beijing"), ("India", "New Delhi"), ("Thailand", "Bangkok"), ("Vietnam", "Hanoi"),
    ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Turkey", "Ankara"), ("Hungary", "Budapest"),
    ("Denmark", "Copenhagen"), ("Belgium", "Brussels"), ("Mexico", "Mexico City"),
    ("Argentina", "Buenos Aires"), ("Colombia", "Bogota"), ("Ghana", "Accra"), ("Nepal", "Kathmandu"),
    ("Qatar", "Doha"), ("Iceland", "Reykjavik"), ("Latvia", "Riga"), ("Estonia", "Tallinn"),
    ("Croatia", "Zagreb"), ("Serbia", "Belgrade"), ("Romania", "Bucharest"), ("Bulgaria", "Sofia"),
    ("Ukraine", "Kyiv"), ("Morocco", "Rabat"), ("Senegal", "Dakar"), ("Uganda", "Kampala"),
    ("Jordan", "Amman"),
]
CAPITAL_SYSTEM = "Reply with the name of the capital city only."


def capital_example(country: str, capital: str) -> dict:
    """One chat example: system, user question, assistant answer."""
    return {"messages": [
        {"role": "system", "content": CAPITAL_SYSTEM},
        {"role": "user", "content": f"What is the capital of {country}?"},
        {"role": "assistant", "content": capital},
    ]}


def capital_prompt(country: str) -> list[dict]:
    """The chat messages that ask for a capital, without the answer."""
    return capital_example(country, "")["messages"][:2]


def capital_datasets(train: int = 40, valid: int = 8) -> tuple[list[dict], list[dict]]:
    """Deterministic training and validation examples from the country list (no overlap)."""
    if train + valid > len(COUNTRIES):
        raise ValueError(f"at most {len(COUNTRIES)} capital examples")
    rows = [capital_example(country, capital) for country, capital in COUNTRIES]
    return rows[:train], rows[train:train + valid]


PRICING_SYSTEM = "You estimate prices of items. Reply only with the price, no explanation."
_BRANDS = ["Lumetrix", "Norvale", "Quillon", "Brightfield", "Arcadia", "Tessel", "Oakhurst", "Velora"]
_ITEMS = ["webcam", "desk lamp", "kettle", "backpack", "headphones", "blender", "tent", "keyboard",
          "umbrella", "water bottle", "drill", "monitor stand"]
_FEATURES = ["It is built to last and easy to clean.", "It folds flat for storage.",
             "It comes with a two-year warranty.", "It charges over USB-C in an hour.",
             "Its aluminium body keeps the weight down.", "It ships with a travel pouch.",
             "It works out of the box with no setup.", "Its quiet motor suits shared spaces."]


def pricing_examples(count: int, seed: int = 7, features: int = 2) -> list[dict]:
    """`count` deterministic "estimate the price" examples; `features` sentences per description
    make the examples (and so the training steps) longer or shorter."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        brand, item = rng.choice(_BRANDS), rng.choice(_ITEMS)
        description = " ".join(rng.sample(_FEATURES, k=min(features, len(_FEATURES))))
        price = rng.randint(5, 400) + rng.choice([0.0, 0.49, 0.99])
        rows.append({"messages": [
            {"role": "system", "content": PRICING_SYSTEM},
            {"role": "user", "content": f"How much does this cost?\n\n{brand} {item.title()} {index}\n{description}"},
            {"role": "assistant", "content": f"${price:.2f}"},
        ]})
    return rows


def write_jsonl(path: Path, rows: Iterable[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- SDK helpers

def upload(client: Any, path: Path) -> Any:
    """files.create as the reference documents do it, then waits until the file is processed."""
    with open(path, "rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    if created.status == "uploaded":
        created = client.files.wait_for_processing(created.id, poll_interval=0.5, max_wait_seconds=120)
    check(created.status == "processed", f"upload of {path.name} did not end processed", created)
    return created


def walk(pages: Iterable[Any], what: str, limit: int = 100_000) -> list[Any]:
    """Auto-paginates an SDK list; fails if it does not terminate or repeats an id."""
    items, seen = [], set()
    for item in pages:
        check(item.id not in seen, f"{what}: id {item.id} came twice while paginating", item)
        seen.add(item.id)
        items.append(item)
        check(len(items) <= limit, f"{what}: pagination did not stop after {limit} items")
    return items


def all_events(client: Any, job_id: str, page_size: int = 50) -> list[Any]:
    """Every event of a job, newest first."""
    return walk(client.fine_tuning.jobs.list_events(job_id, limit=page_size), f"events of {job_id}")


def metrics_of(events: Iterable[Any]) -> list[dict]:
    """The data of the metrics events, oldest first."""
    rows = [event.data for event in events if event.type == "metrics" and isinstance(event.data, dict)]
    return sorted(rows, key=lambda data: data.get("step", 0))


def wait_for_job(client: Any, job_id: str, timeout: float, poll: float = 1.0,
                 until: Callable[[Any], bool] | None = None) -> tuple[Any, list[str]]:
    """Polls jobs.retrieve until the job is terminal (or `until(job)` holds). Returns the last job
    and the distinct statuses seen, in order. Fails on timeout."""
    deadline = time.monotonic() + timeout
    statuses: list[str] = []
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if not statuses or statuses[-1] != job.status:
            statuses.append(job.status)
        if (until(job) if until else job.status in TERMINAL):
            return job, statuses
        check(job.status not in TERMINAL, f"job {job_id} ended {job.status} while waiting", job)
        check(time.monotonic() < deadline, f"job {job_id} still {job.status} after {timeout:.0f}s", job)
        time.sleep(poll)


def check_status_order(statuses: list[str], job: Any) -> None:
    """The statuses seen while polling move forward along validating_files → … → succeeded."""
    ranks = [STATUS_ORDER.index(s) if s in STATUS_ORDER else -1 for s in statuses]
    check(all(rank >= 0 for rank in ranks), f"unexpected status in {statuses}", job)
    check(ranks == sorted(ranks), f"statuses went backwards: {statuses}", job)


def check_metrics(metrics: list[dict], job: Any, need_validation: bool) -> None:
    """Metrics events carry step, total_steps and train_loss; steps unique and increasing."""
    check(metrics, "no metrics events", job)
    for data in metrics:
        for key in ("step", "total_steps", "train_loss"):
            check(key in data and isinstance(data[key], (int, float)), f"metrics event lacks {key}", data)
        check(isinstance(data["step"], int) and 1 <= data["step"] <= data["total_steps"],
              "metrics step outside 1...total_steps", data)
    steps = [data["step"] for data in metrics]
    check(len(steps) == len(set(steps)), f"metrics steps repeat: {steps}", job)
    totals = {data["total_steps"] for data in metrics}
    check(len(totals) == 1, f"total_steps changed between metrics events: {sorted(totals)}")
    if need_validation:
        check(any("valid_loss" in d or "full_valid_loss" in d for d in metrics),
              "a validation file was given but no metrics event has valid_loss", metrics[-3:])


def check_checkpoints(checkpoints: list[Any], job: Any) -> None:
    """Newest (highest step) first, names `<fine_tuned_model>:ckpt-step-N`, the job's id."""
    check(checkpoints, "the job has no checkpoint", job)
    steps = [c.step_number for c in checkpoints]
    check(steps == sorted(steps, reverse=True) and len(set(steps)) == len(steps),
          f"checkpoint steps not unique and newest first: {steps}", checkpoints)
    for checkpoint in checkpoints:
        check(checkpoint.object == "fine_tuning.job.checkpoint", "checkpoint object type", checkpoint)
        check(checkpoint.id.startswith("ftckpt-"), "checkpoint id prefix", checkpoint)
        check(checkpoint.fine_tuning_job_id == job.id, "checkpoint of another job", checkpoint)
        if job.fine_tuned_model:
            expected = f"{job.fine_tuned_model}:ckpt-step-{checkpoint.step_number}"
            check(checkpoint.fine_tuned_model_checkpoint == expected,
                  f"checkpoint model name is not {expected}", checkpoint)
        check(isinstance(checkpoint.created_at, int), "checkpoint created_at is not an int", checkpoint)


# ---------------------------------------------------------------- the server process

class ServerProcess:
    """`finetune serve --port 0` on a finetune home: start, wait for the listening line, SIGKILL,
    SIGTERM, restart. The server's stdout and stderr go to `log_path`. Every pid is also written to
    $E2E_PID_DIR (when set) so a calling shell script can kill leftovers from its trap."""

    def __init__(self, binary: str, home: Path, log_path: Path, api_keys: Iterable[str] = (),
                 extra_args: Iterable[str] = (), env: dict[str, str] | None = None, keep_port: bool = False) -> None:
        self.binary = binary
        # keep_port: restarts listen on the port the first start got (clients keep their URL).
        self.keep_port = keep_port
        self.port = 0
        self.home = Path(home)
        self.log_path = Path(log_path)
        self.api_keys = list(api_keys)
        self.extra_args = list(extra_args) + os.environ.get("E2E_SERVER_ARGS", "").split()
        self.env = env or {}
        self.process: subprocess.Popen[str] | None = None
        self.url: str | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        check(self.url is not None, "the server is not running")
        return f"{self.url}/v1"

    def command(self) -> list[str]:
        keys = [arg for key in self.api_keys for arg in ("--api-key", key)]
        return [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), *keys, *self.extra_args]

    def start(self, timeout: float = 120) -> str:
        """Starts the server and returns its URL (http://127.0.0.1:PORT)."""
        check(self.process is None or self.process.poll() is not None, "the server is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "a", encoding="utf-8")
        self._log.write(f"\n=== {time.strftime('%H:%M:%S')} start: {' '.join(self.command())}\n")
        self._log.flush()
        env = {**os.environ, **self.env, "FINETUNE_HOME": str(self.home)}
        self.process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=self._log,
                                        env=env, text=True, bufsize=1)
        _register_pid(self.process.pid)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(self.process, lines), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            match = LISTENING.match(line)
            if match:
                self.url = match.group(1).rstrip("/")
                if self.keep_port:
                    self.port = int(self.url.rsplit(":", 1)[1])
                return self.url
        code = self.process.poll()
        self.kill()
        raise CheckFailed(f"the server did not print its listening line within {timeout:.0f}s "
                          f"(exit status {code})\n" + _indent(self.log_tail()))

    def _pump(self, process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        """Copies the server's stdout into the log, handing each line to `start` too."""
        assert process.stdout is not None
        log_file = self._log
        for line in process.stdout:
            lines.put(line)
            if log_file and not log_file.closed:
                log_file.write(line)
                log_file.flush()
        lines.put(None)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, then reap."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.url = None

    def terminate(self, timeout: float) -> tuple[int | None, float]:
        """SIGTERM and wait up to `timeout` seconds: (exit status or None when still running, seconds)."""
        assert self.process is not None
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        seconds = time.monotonic() - start
        if code is not None:
            self.url = None
        return code, seconds

    def stop(self) -> None:
        """Shuts down politely (SIGTERM, 60 s), then forcefully."""
        if self.alive():
            code, _ = self.terminate(60)
            if code is None:
                self.kill()
        self.url = None
        if self._log and not self._log.closed:
            self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _register_pid(pid: int) -> None:
    folder = os.environ.get("E2E_PID_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{pid}.pid").write_text(str(pid))


def finetune_binary() -> str:
    """$FINETUNE_BIN, else the debug build's binary."""
    binary = os.environ.get("FINETUNE_BIN")
    if binary:
        return binary
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True,
                             check=True).stdout.strip()
    return str(Path(bin_dir) / "finetune")


def openai_client(base_url: str, api_key: str, **options: Any) -> Any:
    """An OpenAI client on the server, with short retries (the SDK's default backoff is long)."""
    from openai import OpenAI
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", 300)
    return OpenAI(base_url=base_url, api_key=api_key, **options)


def fail_exit(message: str) -> None:
    print(f"FAIL {message}", file=sys.stderr, flush=True)
    sys.exit(1)
