# finetune: the two commands a newcomer runs are `make example` and `make test`.
SWIFT    ?= swift
OUT      ?= examples/out
FINETUNE  = $(shell $(SWIFT) build -c release --show-bin-path)/finetune
MODEL    ?= smollm2-135m-instruct
# OpenBLAS picks its kernels when it loads; the finetune binary sets this for itself, the test
# runner needs it from here (see Sources/TensorCore/BLASEnvironment.swift).
export OPENBLAS_CORETYPE := $(shell grep -q avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || (grep -q avx2 /proc/cpuinfo 2>/dev/null && echo Haswell))

.PHONY: setup build example test bench clean

## Install the system libraries finetune needs (libopenblas-dev), if missing.
setup:
	scripts/setup.sh

## Build the release binary (.build/release/finetune).
build: setup
	$(SWIFT) build -c release --product finetune

## The whole loop on the example dataset (examples/pricer): prepare, validate, split, summarise,
## fine-tune SmolLM2 with LoRA on this machine, evaluate the tuned model against its base on the
## held-out test split, rank them, and write the experiment report.
example: build
	@mkdir -p $(OUT)
	$(FINETUNE) prepare examples/pricer/items.csv --template examples/pricer/template.yaml -o $(OUT)/pricer.jsonl
	$(FINETUNE) validate $(OUT)/pricer.jsonl
	$(FINETUNE) split $(OUT)/pricer.jsonl --valid 0.1 --test 0.1 --seed 42
	$(FINETUNE) stats $(OUT)/pricer_train.jsonl --epochs 3
	$(FINETUNE) models pull $(MODEL)
	rm -rf $(OUT)/pricer-run
	$(FINETUNE) train $(OUT)/pricer_train.jsonl --valid $(OUT)/pricer_valid.jsonl --model $(MODEL) \
	    --suffix pricer --output $(OUT)/pricer-run --runs-dir $(OUT)/runs
	$(FINETUNE) runs list --runs-dir $(OUT)/runs
	$(FINETUNE) eval pricer --test $(OUT)/pricer_test.jsonl --baseline $(MODEL) --runs-dir $(OUT)/runs
	$(FINETUNE) runs leaderboard --runs-dir $(OUT)/runs
	$(FINETUNE) report pricer --runs-dir $(OUT)/runs

## Run every test (fetches the default model first: the reference tests run on it; installs MLflow
## in .venv-mlflow: the tracking tests start a real MLflow server on loopback), then the end-to-end
## tests of `finetune serve` with the official OpenAI Python SDK and of the CLI (scripts/e2e/run.sh).
test: setup
	$(SWIFT) build --build-tests
	$$($(SWIFT) build --show-bin-path)/finetune models pull $(MODEL)
	scripts/mlflow/setup_venv.sh
	FINETUNE_MLFLOW_PYTHON="$$(scripts/mlflow/setup_venv.sh | tail -1)" $(SWIFT) test --skip-build
	scripts/e2e/run.sh

## Run the benchmarks (generates a 1 GB file under .bench/ the first time).
bench: build
	bench/validate_bench.sh
	$(FINETUNE) models pull $(MODEL)
	bench/generate_bench.sh $(MODEL)
	bench/train_bench.sh $(MODEL)
	bench/serve_bench.sh $(MODEL)

clean:
	rm -rf .build $(OUT) .bench
