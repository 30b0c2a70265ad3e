#!/usr/bin/env python3
"""Peers for `finetune bench generate`: the same GGUF, prompt and thread count in transformers (fp32)
and in llama.cpp (through llama-cpp-python, built from source with the CPU's own instructions).

Measures what `finetune bench generate` measures (llama-bench's -p 256 -n 128): a prompt of fixed
arbitrary token ids processed in one call, then greedy decoding token by token; median of RUNS
runs after a warm-up. Prints one JSON object per peer on stdout.

    python generate_peers.py MODEL.gguf [--threads 2] [--prompt-tokens 256] [--decode-tokens 128]
                             [--runs 5] [--peers transformers,llama.cpp]
"""
import argparse
import json
import os
import statistics
import sys
import time


def prompt_ids(count, vocabulary):
    # The same ids as finetune's GenerationBenchmark.
    return [(i * 7919 + 13) % vocabulary for i in range(count)]


def bench_transformers(path, threads, prompt_tokens, decode_tokens, runs):
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    folder, name = os.path.split(os.path.abspath(path))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    ids = torch.tensor([prompt_ids(prompt_tokens, model.config.vocab_size)])

    def once():
        with torch.no_grad():
            start = time.perf_counter()
            out = model(ids, use_cache=True)
            prefill = time.perf_counter() - start
            past, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
            start = time.perf_counter()
            for _ in range(decode_tokens):
                out = model(token, past_key_values=past, use_cache=True)
                past, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
            return prefill, time.perf_counter() - start

    return measure("transformers " + __import__("transformers").__version__ + " fp32", once, prompt_tokens, decode_tokens, runs)


def bench_llama_cpp(path, threads, prompt_tokens, decode_tokens, runs):
    import llama_cpp
    import numpy as np

    llm = llama_cpp.Llama(model_path=path, n_ctx=prompt_tokens + decode_tokens + 8, n_batch=512,
                          n_threads=threads, n_threads_batch=threads, verbose=False)
    ids = prompt_ids(prompt_tokens, llm.n_vocab())

    def once():
        llm.reset()
        start = time.perf_counter()
        llm.eval(ids)
        prefill = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(decode_tokens):
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            llm.eval([token])
        return prefill, time.perf_counter() - start

    return measure("llama.cpp (llama-cpp-python " + llama_cpp.__version__ + ")", once, prompt_tokens, decode_tokens, runs)


def measure(label, once, prompt_tokens, decode_tokens, runs):
    once()  # warm-up
    samples = [once() for _ in range(runs)]
    prefill = [prompt_tokens / p for p, _ in samples]
    decode = [decode_tokens / d for _, d in samples]
    return {"peer": label, "prefill_tokens_per_second": statistics.median(prefill),
            "decode_tokens_per_second": statistics.median(decode),
            "prefill_runs": prefill, "decode_runs": decode}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peers", default="transformers,llama.cpp")
    args = parser.parse_args()
    peers = {"transformers": bench_transformers, "llama.cpp": bench_llama_cpp}
    for name in args.peers.split(","):
        try:
            result = peers[name](args.model, args.threads, args.prompt_tokens, args.decode_tokens, args.runs)
        except ImportError as error:
            print(f"skipping {name}: {error}", file=sys.stderr)
            continue
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
