#!/usr/bin/env python3
"""Checks that llama.cpp loads finetune's exports: a LoRA adapter GGUF on its base model, and a
merged model GGUF.

Loads each with llama-cpp-python (`Llama(model_path=..., lora_path=...)`), runs the same short
greedy completion with the base model, the base model plus the adapter and the merged model, and
compares the last prompt position's logits. Exits 1 when a file fails to load (llama.cpp rejects
the format), 2 with --require-match when base+adapter and the merged model disagree.

    .bench/peers-venv/bin/python scripts/check_llama_cpp.py BASE.gguf ADAPTER.gguf MERGED.gguf

The merged model is quantized (e.g. Q8_0) while base+adapter adds the adapter in f32 beside the
base's own weights, so their logits differ slightly; greedy text usually agrees for many tokens.
"""

import argparse
import sys

DEFAULT_PROMPT = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"


def load(model_path, lora_path=None, n_ctx=512):
    from llama_cpp import Llama

    kwargs = dict(model_path=model_path, n_ctx=n_ctx, n_threads=2, logits_all=True, verbose=False, seed=0)
    if lora_path:
        kwargs["lora_path"] = lora_path
    return Llama(**kwargs)


def run(llm, prompt, max_tokens):
    """Greedy completion text, and the logits of the last prompt position."""
    tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    llm.reset()
    llm.eval(tokens)
    last = [float(x) for x in llm.scores[len(tokens) - 1]]
    out = llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, top_p=1.0,
                                repeat_penalty=1.0)
    return out["choices"][0]["text"], last


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the base model GGUF")
    parser.add_argument("adapter", help="the LoRA adapter GGUF (finetune's GGUFAdapterFormat)")
    parser.add_argument("merged", help="the merged model GGUF (finetune's MergedModelExport)")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    parser.add_argument("--tokens", type=int, default=24, help="greedy tokens to generate")
    parser.add_argument("--require-match", action="store_true",
                        help="exit 2 when base+adapter and merged greedy texts differ")
    args = parser.parse_args()

    try:
        import llama_cpp
    except ImportError:
        print("llama-cpp-python is not installed; use .bench/peers-venv/bin/python", file=sys.stderr)
        return 1
    print(f"llama-cpp-python {llama_cpp.__version__}")

    results = {}
    for label, model, lora in [("base", args.base, None), ("base+adapter", args.base, args.adapter),
                               ("merged", args.merged, None)]:
        try:
            llm = load(model, lora)
        except Exception as error:  # llama-cpp-python raises ValueError/RuntimeError on a rejected file
            print(f"FAIL {label}: llama.cpp could not load {model}"
                  + (f" with adapter {lora}" if lora else "") + f": {error}", file=sys.stderr)
            return 1
        text, logits = run(llm, args.prompt, args.tokens)
        results[label] = (text, logits)
        print(f"loaded {label}: {text!r}")
        del llm

    def worst(a, b):
        return max(abs(x - y) for x, y in zip(a, b))

    adapter_effect = worst(results["base"][1], results["base+adapter"][1])
    merge_error = worst(results["merged"][1], results["base+adapter"][1])
    same = results["merged"][0] == results["base+adapter"][0]
    print(f"last-position logits: adapter effect {adapter_effect:.4f}, merged vs base+adapter {merge_error:.4f}")
    print(f"greedy text of merged and base+adapter: {'same' if same else 'DIFFERENT'}")
    if adapter_effect == 0:
        print("warning: the adapter changes nothing (was it applied?)", file=sys.stderr)
    if args.require_match and not same:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
