#!/usr/bin/env python3
"""Speed peer for `finetune bench train`: LoRA training of the same GGUF in transformers + PEFT.

transformers loads the GGUF (dequantized to fp32) and PEFT adds LoRA r=8, alpha 16, dropout 0 on
all seven linear layers of every block (q/k/v/o, gate/up/down). Each step trains on a batch of
BATCH sequences of SEQUENCE random token ids (seeded; labels = ids, so every position but the last
is trained): forward, backward, AdamW (lr 1e-4) over the LoRA tensors, zero_grad. After --warmup
steps that are not timed, --steps steps are timed one by one. `--bf16` runs forward and loss under
torch.autocast("cpu", dtype=torch.bfloat16) (weights and optimizer stay fp32). Prints one JSON
object on stdout:

    {"tool": "transformers+peft", "dtype": "fp32"|"bf16", "tokens_per_second": ...,
     "peak_memory_bytes": ..., "losses": [...], "seconds_per_step": [...], ...}

tokens_per_second = BATCH * SEQUENCE * steps / (sum of the timed steps); peak_memory_bytes is the
process's peak resident set (getrusage maxrss, KiB on Linux, times 1024); losses and
seconds_per_step are those of the timed steps. Timings on a shared machine are only meaningful when
it is otherwise idle: cpu_seconds_per_step (process CPU time, all threads) and load_average (1-minute,
before and after the timed steps) show whether other work competed for the cores.

    .bench/peers-venv/bin/python bench/train_peers.py MODEL.gguf [--threads 2] [--bf16]
                                 [--warmup 2] [--steps 5] [--batch 4] [--sequence 256] [--seed 0]

Needs torch, transformers, gguf and peft (`.bench/peers-venv/bin/pip install peft`).
"""
import argparse
import json
import os
import resource
import sys
import time

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--sequence", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import peft
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    transformers.logging.set_verbosity_error()
    folder, name = os.path.split(os.path.abspath(args.model))
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=TARGETS, bias="none",
                        task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    model.train()
    weights = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(weights, lr=1e-4)
    generator = torch.Generator().manual_seed(args.seed)
    vocabulary = model.config.vocab_size

    def step():
        ids = torch.randint(0, vocabulary, (args.batch, args.sequence), generator=generator)
        start, cpu = time.perf_counter(), time.process_time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item(), time.perf_counter() - start, time.process_time() - cpu

    warmup = [step()[0] for _ in range(args.warmup)]
    load_before = os.getloadavg()[0]
    losses, seconds, cpu_seconds = [], [], []
    for _ in range(args.steps):
        loss, elapsed, cpu = step()
        losses.append(loss)
        seconds.append(elapsed)
        cpu_seconds.append(cpu)
    tokens = args.batch * args.sequence * args.steps
    print(json.dumps({
        "tool": "transformers+peft",
        "dtype": "bf16" if args.bf16 else "fp32",
        "tokens_per_second": tokens / sum(seconds),
        "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "losses": losses,
        "seconds_per_step": seconds,
        "cpu_seconds_per_step": cpu_seconds,
        "load_average": [load_before, os.getloadavg()[0]],
        "warmup_losses": warmup,
        "threads": args.threads, "batch": args.batch, "sequence": args.sequence,
        "trainable_parameters": sum(p.numel() for p in weights),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
    }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
