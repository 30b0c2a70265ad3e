#!/usr/bin/env python3
"""Reference logits and greedy continuations for the Llama runtime (Tests/LanguageModelTests).

transformers loads the same GGUF file finetune runs (dequantized to fp32) and computes, for fixed
token sequences, the logits at every position and a 64-token greedy continuation. finetune's test
(LlamaReferenceTests) runs its own engine on the same ids and compares.

Run (from the repository root):
    python3 -m venv .venv-reference
    .venv-reference/bin/pip install torch==2.13.0+cpu transformers accelerate gguf tokenizers jinja2 numpy
    .venv-reference/bin/python scripts/reference/make_logits_fixtures.py \
        ~/.cache/finetune/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf

The full logits (49,152 per position) would make a fixture of megabytes, so each position keeps:
the 20 largest logits with their ids, the logits of 64 fixed ids spread over the vocabulary, and
the log-sum-exp of the whole row (which pins down the rest of the distribution).
"""
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "LanguageModelTests",
                   "Fixtures", "smollm2_logits.json")
TOP = 20
FIXED_IDS = [int(i * 49152 / 64) + 7 for i in range(64)]
GREEDY = 64


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ["FINETUNE_TEST_MODEL"]
    folder, name = os.path.split(os.path.abspath(path))
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    torch.manual_seed(0)

    chat = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                   tokenize=False, add_generation_prompt=True)
    long_text = ("Fine-tuning adapts a pretrained language model to a narrower task. "
                 "A product description such as 'Stainless steel 12-cup coffee maker, $49.99' "
                 "becomes a training example; the model learns to answer with the price. ") * 3
    prompts = {
        "chat_capital": tok.encode(chat, add_special_tokens=False),
        "plain_fox": tok.encode("The quick brown fox jumps over the lazy dog. Then it", add_special_tokens=False),
        "long_mixed": tok.encode(long_text, add_special_tokens=False),
        "single_token": tok.encode("Hello", add_special_tokens=False),
    }
    cases = []
    with torch.no_grad():
        for label, ids in prompts.items():
            logits = model(torch.tensor([ids])).logits[0].float()  # [T, V]
            positions = []
            for row in logits:
                top = torch.topk(row, TOP)
                positions.append({
                    "top_ids": top.indices.tolist(),
                    "top_logits": [round(v, 5) for v in top.values.tolist()],
                    "fixed_logits": [round(row[i].item(), 5) for i in FIXED_IDS],
                    "logsumexp": round(torch.logsumexp(row, 0).item(), 5),
                })
            out = model.generate(torch.tensor([ids]), max_new_tokens=GREEDY, do_sample=False,
                                 eos_token_id=None, pad_token_id=2, min_new_tokens=GREEDY)
            greedy = out[0, len(ids):].tolist()
            cases.append({"name": label, "input_ids": ids, "positions": positions, "greedy": greedy,
                          "greedy_text": tok.decode(greedy)})
            print(label, len(ids), "tokens; greedy:", repr(tok.decode(greedy)[:80]))
    doc = {"model": name, "source": "transformers " + __import__("transformers").__version__ +
           ", torch " + torch.__version__ + ", float32", "fixed_ids": FIXED_IDS, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.relpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
