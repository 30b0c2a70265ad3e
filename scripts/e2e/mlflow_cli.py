#!/usr/bin/env python3
"""End-to-end test of `finetune train --mlflow` and `finetune eval --mlflow` against a real MLflow
tracking server, checked from the side with MLflow's own client (`mlflow.tracking.MlflowClient`).

Steps:
1. start a throwaway MLflow server (scripts/mlflow/server.py: SQLite store, proxied artifacts);
2. `finetune train` on 16 tiny pricing examples (4 for validation), 1 epoch, logging to experiment "e2e";
3. `finetune eval <run name> --test T --baseline <base model>`, logging to the same experiment;
4. check: two runs in "e2e"; the train run has the learning rate, epochs, batch size, base model and
   LoRA rank as params, a `train_loss` history equal to the run record's `metrics` (steps 1..N and
   values), `valid_loss` where the record has it, status FINISHED, and the run record JSON and
   report/report.md + report/report.html as artifacts; the eval run has the model, baseline, test
   SHA-256 and task as params, every metric of evaluation.json (the model's as `<key>`, the
   baseline's as `baseline.<key>`, keys sanitized as MLflowNames.key does), status FINISHED, and
   evaluation.json, examples.jsonl and the charts as artifacts.

Run it with the MLflow venv's Python (scripts/mlflow/setup_venv.sh prints its path):

    .venv-mlflow/bin/python scripts/e2e/mlflow_cli.py --finetune-bin .build/debug/finetune \
        --home $FINETUNE_HOME --workdir /tmp/e2e-mlflow [--model smollm2-135m-instruct] [--mlflow-python PY]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_MODEL, CheckFailed, check, log, pricing_examples, write_jsonl  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT = "e2e"


def mlflow_key(text: str) -> str:
    """MLflowNames.key (Sources/ExperimentTracking/MLflowNames.swift): the key finetune logs a metric under."""
    mapped = "".join("pct" if c == "%" else c if (c.isascii() and (c.isalnum() or c in "_-./ ")) else "_"
                     for c in text)
    segments = ["_" if s == ".." else s for s in mapped.split("/") if s not in ("", ".")]
    key = "/".join(segments)[:250].rstrip("/")
    return key or "_"


def close(a: float, b: float) -> bool:
    """The record and MLflow hold the same double; allow for a record written with fewer digits."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


class MLflowServer:
    """scripts/mlflow/server.py in the background: stopped when its stdin closes."""

    def __init__(self, python: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen([python, str(ROOT / "scripts/mlflow/server.py"), "--dir", str(folder)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise CheckFailed(f"the MLflow server did not start (see {folder / 'server.log'})")
        self.url = line

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class MLflowCLITest:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="finetune-mlflow-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.runs = self.workdir / "runs"
        self.url = ""

    def cli(self, *arguments: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NO_COLOR": "1", "FINETUNE_HOME": self.args.home}
        for variable in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
            env.pop(variable, None)
        log("$ finetune " + " ".join(arguments))
        result = subprocess.run([self.args.finetune_bin, *arguments], capture_output=True, text=True, timeout=timeout,
                                env=env, stdin=subprocess.DEVNULL)
        check(result.returncode == 0, f"`finetune {' '.join(arguments[:2])} …` exited {result.returncode}",
              result.stdout[-3000:], result.stderr[-3000:])
        check("MLflow logging paused" not in result.stderr, "finetune warned that MLflow logging failed", result.stderr[-3000:])
        return result

    def run(self) -> None:
        data = self.workdir / "data"
        rows = pricing_examples(26, seed=11, features=1)
        train = write_jsonl(data / "train.jsonl", rows[:16])
        valid = write_jsonl(data / "valid.jsonl", rows[16:20])
        test = write_jsonl(data / "test.jsonl", rows[20:])
        server = MLflowServer(self.args.mlflow_python, self.workdir / "mlflow")
        self.url = server.url
        log(f"MLflow server at {self.url}")
        try:
            self.cli("train", str(train), "--valid", str(valid), "--model", self.args.model, "--epochs", "1",
                     "--batch-size", "4", "--threads", "2", "--runs-dir", str(self.runs),
                     "--mlflow", self.url, "--mlflow-experiment", EXPERIMENT)
            records = sorted(self.runs.glob("*_finetune_*.json"))
            check(len(records) == 1, f"expected one run record in {self.runs}", [str(p) for p in records])
            record_path = records[0]
            record = json.loads(record_path.read_text())
            self.cli("eval", record["name"], "--test", str(test), "--baseline", self.args.model,
                     "--runs-dir", str(self.runs), "--mlflow", self.url, "--mlflow-experiment", EXPERIMENT)
            evaluations = sorted((self.runs / "evals").glob("*/evaluation.json"))
            check(len(evaluations) == 1, f"expected one evaluation in {self.runs / 'evals'}", [str(p) for p in evaluations])
            evaluation = json.loads(evaluations[0].read_text())
            self.check_runs(record_path, record, evaluation)
        finally:
            server.stop()

    # ------------------------------------------------------------ checks

    def check_runs(self, record_path: Path, record: dict, evaluation: dict) -> None:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=self.url)
        experiment = client.get_experiment_by_name(EXPERIMENT)
        check(experiment is not None, f"no experiment '{EXPERIMENT}' on {self.url}")
        runs = client.search_runs([experiment.experiment_id])
        check(len(runs) == 2, f"expected 2 runs in '{EXPERIMENT}', found {len(runs)}",
              [{"name": r.info.run_name, "params": r.data.params} for r in runs])
        evals = [r for r in runs if any(self.last(k) == "baseline" for k in r.data.params)]
        trains = [r for r in runs if r not in evals]
        check(len(evals) == 1 and len(trains) == 1, "expected one train run and one eval run (with a baseline param)",
              [{"name": r.info.run_name, "params": r.data.params} for r in runs])
        self.check_train(client, trains[0], record_path, record)
        self.check_eval(client, evals[0], evaluation)

    @staticmethod
    def last(key: str) -> str:
        return re.split(r"[./]", key)[-1]

    def param(self, run: Any, names: list[str]) -> str:
        found = [v for k, v in run.data.params.items() if self.last(k) in names]
        check(found, f"run '{run.info.run_name}' has no param named {' / '.join(names)}", run.data.params)
        return found[0]

    def check_train(self, client: Any, run: Any, record_path: Path, record: dict) -> None:
        log(f"train run {run.info.run_name} ({run.info.run_id})")
        check(run.info.status == "FINISHED", f"train run status {run.info.status}, expected FINISHED")
        hyper = {**record.get("training_parameters", {}), **record.get("hyperparameters", {})}
        for names, expected in [(["learning_rate", "lr"], hyper.get("learning_rate")),
                                (["n_epochs", "epochs"], hyper.get("n_epochs", 1)),
                                (["batch_size"], hyper.get("batch_size", 4)),
                                (["lora_rank", "rank"], hyper.get("lora_rank"))]:
            value = self.param(run, names)
            if expected is not None:
                check(close(float(value), float(expected)), f"param {names[0]} is {value}, the record says {expected}")
        base = self.param(run, ["base_model", "model"])
        check(base == record["base_model"] or self.args.model in base,
              f"param base_model is {base}, the record says {record['base_model']}")

        points = record.get("metrics") or []
        check(points, f"the run record {record_path} has no metrics")
        for key in ("train_loss", "valid_loss"):
            expected = sorted((p["step"], p[key]) for p in points if p.get(key) is not None)
            history = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, key))
            if key == "train_loss":
                check(expected and [s for s, _ in expected] == list(range(1, len(expected) + 1)),
                      "the record's train_loss steps are not 1..N", expected)
            check([s for s, _ in history] == [s for s, _ in expected],
                  f"{key} steps in MLflow differ from the record's", history, expected)
            check(all(close(a, b) for (_, a), (_, b) in zip(history, expected)),
                  f"{key} values in MLflow differ from the record's", history, expected)
            log(f"  {key}: {len(history)} points match the record")

        files = self.artifact_files(client, run.info.run_id)
        check(any(Path(f).name == record_path.name for f in files), f"no {record_path.name} among the artifacts", files)
        for name in ("report/report.md", "report/report.html"):
            check(name in files, f"no {name} among the train run's artifacts", files)
        log(f"  artifacts: {', '.join(files)}")

    def check_eval(self, client: Any, run: Any, evaluation: dict) -> None:
        log(f"eval run {run.info.run_name} ({run.info.run_id})")
        check(run.info.status == "FINISHED", f"eval run status {run.info.status}, expected FINISHED")
        model = evaluation["model"]
        baseline = evaluation.get("baseline")
        check(baseline is not None, "evaluation.json has no baseline")
        check(self.param(run, ["model"]) == model["model"], "param model differs from evaluation.json", run.data.params)
        check(self.param(run, ["baseline"]) == baseline["model"], "param baseline differs from evaluation.json", run.data.params)
        check(self.param(run, ["test_sha256", "sha256"]) == evaluation["test"]["sha256"],
              "param test sha256 differs from evaluation.json", run.data.params)
        check(self.param(run, ["task"]) == evaluation["task"], "param task differs from evaluation.json", run.data.params)

        logged = run.data.metrics
        compared = 0
        for prefix, result in (("", model), ("baseline.", baseline)):
            for metric in result["metrics"]:
                if metric.get("value") is None:
                    continue
                key = mlflow_key(prefix + metric["key"])
                check(key in logged, f"metric {key} is not logged", sorted(logged))
                check(close(logged[key], metric["value"]), f"metric {key} is {logged[key]}, evaluation.json says {metric['value']}")
                compared += 1
        check(compared > 0, "evaluation.json has no metric values to compare")
        log(f"  {compared} metric values match evaluation.json")

        files = self.artifact_files(client, run.info.run_id)
        names = {Path(f).name for f in files}
        wanted = ["evaluation.json", "examples.jsonl"] + [Path(c).name for c in evaluation.get("files", {}).get("charts", [])]
        for name in wanted:
            check(name in names, f"no {name} among the eval run's artifacts", files)
        log(f"  artifacts: {', '.join(files)}")

    def artifact_files(self, client: Any, run_id: str, path: str | None = None) -> list[str]:
        files: list[str] = []
        for item in client.list_artifacts(run_id, path):
            files += self.artifact_files(client, run_id, item.path) if item.is_dir else [item.path]
        return files


def main() -> int:
    parser = argparse.ArgumentParser(description="finetune train/eval --mlflow against a real MLflow server")
    parser.add_argument("--finetune-bin", required=True, help="the finetune binary")
    parser.add_argument("--home", required=True, help="FINETUNE_HOME holding the base model")
    parser.add_argument("--workdir", help="where data, runs and the server's store go (default: a temporary folder)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the base model")
    parser.add_argument("--mlflow-python", default=sys.executable, help="the Python with mlflow (runs the server)")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        MLflowCLITest(args).run()
    except CheckFailed as failure:
        print(f"FAIL mlflow_cli: {failure}", file=sys.stderr)
        return 1
    print(f"PASS mlflow_cli ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
