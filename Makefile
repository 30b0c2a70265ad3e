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

# A held-out item of the example's test split, asked of the base and of the fine-tuned model.
ASK_SYSTEM = You estimate prices of items. Reply only with the price, no explanation.
ASK_USER   = How much does this cost to the nearest dollar?\n\nLumetrix Webcam\nLumetrix designed this webcam for people who want quality without fuss. Auto-focus and auto light correction keep you sharp on calls. A privacy shutter slides over the lens when not in use.

## The whole loop on the example dataset (examples/pricer): prepare, validate, split, summarise,
## fine-tune SmolLM2 with LoRA on this machine, then ask the base and the tuned model.
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
	@echo "--- the base model (true price: \$$108.49):"
	$(FINETUNE) chat $(MODEL) --temperature 0 --max-tokens 24 --quiet --system "$(ASK_SYSTEM)" "$$(printf '$(ASK_USER)')"
	@echo "--- the fine-tuned model:"
	$(FINETUNE) chat $(MODEL) --adapter $(OUT)/pricer-run --temperature 0 --max-tokens 24 --quiet \
	    --system "$(ASK_SYSTEM)" "$$(printf '$(ASK_USER)')"

## Run every test (fetches the default model first: the reference tests run on it), then the
## end-to-end tests of `finetune serve` with the official OpenAI Python SDK (scripts/e2e/run.sh).
test: setup
	$(SWIFT) build --build-tests
	$$($(SWIFT) build --show-bin-path)/finetune models pull $(MODEL)
	$(SWIFT) test --skip-build
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
