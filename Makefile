# finetune: the two commands a newcomer runs are `make example` and `make test`.
SWIFT    ?= swift
OUT      ?= examples/out
FINETUNE  = $(shell $(SWIFT) build -c release --show-bin-path)/finetune

.PHONY: build example test bench clean

## Build the release binary (.build/release/finetune).
build:
	$(SWIFT) build -c release --product finetune

## Prepare, validate, split and summarise the example dataset (examples/pricer).
example: build
	@mkdir -p $(OUT)
	$(FINETUNE) prepare examples/pricer/items.csv --template examples/pricer/template.yaml -o $(OUT)/pricer.jsonl
	$(FINETUNE) validate $(OUT)/pricer.jsonl
	$(FINETUNE) split $(OUT)/pricer.jsonl --valid 0.1 --test 0.1 --seed 42
	$(FINETUNE) stats $(OUT)/pricer_train.jsonl --epochs 3

## Run every test.
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Run the benchmarks (generates a 1 GB file under .bench/ the first time).
bench: build
	bench/validate_bench.sh

clean:
	rm -rf .build $(OUT) .bench
