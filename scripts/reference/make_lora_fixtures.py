#!/usr/bin/env python3
"""Reference masks, LoRA gradients and a 20-step training curve for the LoRA trainer
(Tests/LoRATrainingTests).

transformers loads the same GGUF file finetune trains on (dequantized to fp32) and PEFT wraps it with
LoRA (r=8, alpha=16, dropout 0, all seven linear layers of every block). With the examples of
Tests/LoRATrainingTests/Fixtures/reference_examples.jsonl (16 OpenAI-format chats) the script writes
Tests/LoRATrainingTests/Fixtures/lora_reference.json with:

  examples       per example: the chat-template text, token ids, which tokens are trained (0/1),
                 the shifted labels (labels[t] = ids[t+1] if token t+1 is trained, else -100; the
                 last is -100) and the trained byte spans of the text.
  gradient       the loss of the first 4 examples (right-padded batch, mean cross-entropy over the
                 trained labels) with A and B set by the formulas in "configuration", and the
                 gradient of every LoRA tensor: shape, L2 norm, sum, first 8 values (row-major);
                 plus the full gradients of layers 0 and 29 for q_proj, k_proj and down_proj.
  training       20 AdamW steps from A = formula, B = 0: per step the loss before the update, the
                 gradient norm before clipping and the learning rate used; then the L2 norm of all
                 B tensors together.
  configuration  rank, alpha, targets, the formulas, versions and the mask rule.

Tensor names are "layers.{l}.{module}.lora_A" / ".lora_B" with A [r][in] and B [out][r], rows in
Hugging Face order: transformers un-permutes the GGUF q/k rows, so B of q_proj/k_proj (and its
gradient) is in HF row order, not GGUF order. Floats keep 7 significant digits.

Run (from the repository root; takes about 80 seconds on 2 idle cores):
    python3 -m venv .venv-reference
    .venv-reference/bin/pip install torch==2.13.0+cpu transformers accelerate gguf tokenizers jinja2 numpy peft
    .venv-reference/bin/python scripts/reference/make_lora_fixtures.py \
        ~/.cache/finetune/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf

Last run with torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2, numpy 2.4.6, Python 3.11.7.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "Tests", "LoRATrainingTests", "Fixtures")
EXAMPLES = os.path.join(FIXTURES, "reference_examples.jsonl")
OUT = os.path.join(FIXTURES, "lora_reference.json")

RANK, ALPHA = 8, 16
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
END_OF_TURN = "<|im_end|>"
FULL_GRADIENTS = [(l, m) for l in (0, 29) for m in ("q_proj", "k_proj", "down_proj")]
A_FORMULA = "A[i][j] = 0.02 * sin(0.7*i + 0.013*j + 1.3*l + 0.5*m + 0.1)"
B_FORMULA = "B[i][j] = 0.01 * cos(0.11*i + 0.9*j + 0.7*l + 0.3*m)"
MASK_RULE = ("For each assistant message i whose weight is not 0, the trained span is the UTF-8 byte range "
             "[len(render(messages[:i], add_generation_prompt=True)), len(render(messages[:i+1], "
             "add_generation_prompt=False))) of the full text (both renders must be prefixes of it), with its "
             "end cut back to the end of the last '<|im_end|>' inside the span (or, if none, trailing "
             "whitespace stripped); a token is trained iff its byte range lies entirely inside a span; "
             "labels[t] = ids[t+1] if token t+1 is trained else -100, and the last label is -100.")


def r7(x):
    """A float rounded to 7 significant digits (JSON then prints the short form)."""
    return float(f"{float(x):.7g}")


def floats(values):
    return [r7(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


# MARK: tokens and masks

def byte_decoder():
    """GPT-2 byte-level BPE: the printable character that stands for each byte, inverted."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def token_bytes(tok, ids):
    """The UTF-8 bytes each token stands for (special tokens: their literal text)."""
    decoder = byte_decoder()
    special = {t.content for t in tok.added_tokens_decoder.values()}
    out = []
    for piece in tok.convert_ids_to_tokens(ids):
        if piece in special:
            out.append(piece.encode("utf-8"))
        else:
            out.append(bytes(decoder[c] for c in piece))
    return out


def render(tok, messages, generation_prompt):
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)


def tokenize_example(tok, messages, number):
    text = render(tok, messages, False)
    data = text.encode("utf-8")
    ids = tok.encode(text, add_special_tokens=False)
    pieces = token_bytes(tok, ids)
    if b"".join(pieces) != data:
        sys.exit(f"example {number}: the tokens' bytes do not spell the template text")
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant" or message.get("weight", 1) == 0:
            continue
        prefix = render(tok, messages[:i], True)
        upto = render(tok, messages[:i + 1], False)
        for name, part in (("render(messages[:i], add_generation_prompt=True)", prefix),
                           ("render(messages[:i+1])", upto)):
            if not text.startswith(part):
                sys.exit(f"example {number}, message {i}: {name} is not a prefix of the full text; "
                         "the template is not prefix-stable, so the mask rule does not apply")
        start, end = len(prefix.encode("utf-8")), len(upto.encode("utf-8"))
        span = data[start:end]
        cut = span.rfind(END_OF_TURN.encode("utf-8"))
        if cut >= 0:
            end = start + cut + len(END_OF_TURN.encode("utf-8"))
        else:
            end = start + len(span.rstrip())
        spans.append([start, end])
    trained, offset = [], 0
    for piece in pieces:
        lo, hi = offset, offset + len(piece)
        trained.append(1 if any(s <= lo and hi <= e for s, e in spans) else 0)
        offset = hi
    labels = [ids[t + 1] if trained[t + 1] else -100 for t in range(len(ids) - 1)] + [-100]
    return {"text": text, "ids": ids, "trained": trained, "labels": labels, "spans": spans}


# MARK: model and LoRA

def lora_modules(model):
    """(layer, module index, name, LoRA layer) in Hugging Face order."""
    layers = model.base_model.model.model.layers
    for l, layer in enumerate(layers):
        for m, name in enumerate(TARGETS):
            parent = layer.self_attn if name in ("q_proj", "k_proj", "v_proj", "o_proj") else layer.mlp
            yield l, m, name, getattr(parent, name)


def formula_a(l, m, rows, columns):
    i, j = np.arange(rows)[:, None], np.arange(columns)[None, :]
    return 0.02 * np.sin(0.7 * i + 0.013 * j + 1.3 * l + 0.5 * m + 0.1)


def formula_b(l, m, rows, columns):
    i, j = np.arange(rows)[:, None], np.arange(columns)[None, :]
    return 0.01 * np.cos(0.11 * i + 0.9 * j + 0.7 * l + 0.3 * m)


def set_lora(model, zero_b):
    with torch.no_grad():
        for l, m, _, module in lora_modules(model):
            a, b = module.lora_A["default"].weight, module.lora_B["default"].weight
            a.copy_(torch.from_numpy(formula_a(l, m, *a.shape).astype(np.float32)))
            if zero_b:
                b.zero_()
            else:
                b.copy_(torch.from_numpy(formula_b(l, m, *b.shape).astype(np.float32)))


def batch(examples, indices, pad_id):
    """Right-padded ids, attention mask, unshifted labels (for transformers) and shifted labels."""
    length = max(len(examples[k]["ids"]) for k in indices)
    ids = torch.full((len(indices), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(indices), length), dtype=torch.long)
    unshifted = torch.full((len(indices), length), -100, dtype=torch.long)
    shifted = torch.full((len(indices), length), -100, dtype=torch.long)
    for row, k in enumerate(indices):
        e = examples[k]
        n = len(e["ids"])
        ids[row, :n] = torch.tensor(e["ids"])
        mask[row, :n] = 1
        unshifted[row, :n] = torch.tensor([i if t else -100 for i, t in zip(e["ids"], e["trained"])])
        shifted[row, :n] = torch.tensor(e["labels"])
    # transformers' causal-LM loss compares logits[t] with labels[t+1]: check that shift is ours.
    internal = torch.cat([unshifted[:, 1:], torch.full((len(indices), 1), -100)], dim=1)
    if not torch.equal(internal, shifted):
        sys.exit(f"examples {indices}: transformers' label shift differs from the recorded labels")
    return ids, mask, unshifted, int((shifted != -100).sum())


def lora_parameters(model):
    params = []
    for l, _, name, module in lora_modules(model):
        params.append((f"layers.{l}.{name}.lora_A", module.lora_A["default"].weight))
        params.append((f"layers.{l}.{name}.lora_B", module.lora_B["default"].weight))
    return params


def main():
    started = time.time()
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ["FINETUNE_TEST_MODEL"]
    folder, name = os.path.split(os.path.abspath(path))
    import peft
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    with open(EXAMPLES) as f:
        chats = [json.loads(line)["messages"] for line in f if line.strip()]
    examples = [tokenize_example(tok, messages, n) for n, messages in enumerate(chats)]
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 2
    for n, e in enumerate(examples):
        print(f"example {n}: {len(e['ids'])} tokens, {sum(e['trained'])} trained, spans {e['spans']}")

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                attn_implementation="eager")
    config = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0, target_modules=TARGETS,
                        bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    model.train()
    params = lora_parameters(model)
    if len(params) != 2 * 30 * len(TARGETS):
        sys.exit(f"expected {2 * 30 * len(TARGETS)} LoRA tensors, found {len(params)}")
    print(f"model ready after {time.time() - started:.1f} s")

    # Gradient check: A and B from the formulas, the first 4 examples.
    set_lora(model, zero_b=False)
    model.zero_grad()
    ids, mask, labels, count = batch(examples, [0, 1, 2, 3], pad_id)
    loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    tensors, full = [], {}
    for key, p in params:
        g = p.grad.detach().double().numpy()
        tensors.append({"name": key, "shape": list(g.shape), "norm": r7(np.linalg.norm(g)),
                        "sum": r7(g.sum()), "first": floats(g.reshape(-1)[:8])})
    for l, m in FULL_GRADIENTS:
        for side in ("lora_A", "lora_B"):
            key = f"layers.{l}.{m}.{side}"
            full[key] = floats(dict(params)[key].grad.detach().double().numpy())
    gradient = {"examples": [0, 1, 2, 3], "loss": r7(loss.item()),
                "label_count": count, "tensors": tensors, "full": full}
    print(f"gradient check: loss {loss.item():.6f} after {time.time() - started:.1f} s")

    # Training curve: A from the formula, B = 0, AdamW + clipping + cosine schedule with warm-up.
    set_lora(model, zero_b=True)
    model.zero_grad()
    weights = [p for _, p in params]
    optimizer = torch.optim.AdamW(weights, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    scheduler = transformers.get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=2, num_training_steps=20)
    steps = []
    for s in range(20):
        indices = [(4 * s + k) % 16 for k in range(4)]
        ids, mask, labels, _ = batch(examples, indices, pad_id)
        optimizer.zero_grad()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(weights, max_norm=1.0)
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
        steps.append({"step": s, "examples": indices, "loss": r7(loss.item()),
                      "grad_norm": r7(norm.item()), "learning_rate": r7(lr)})
        print(f"step {s:2}: loss {loss.item():.6f}  grad norm {norm.item():.6f}  lr {lr:.6g}")
    b_norm = math.sqrt(sum(float(p.detach().double().pow(2).sum()) for k, p in params if k.endswith("lora_B")))
    training = {"initial": "A from the formula, B = 0", "optimizer": "torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), "
                "eps=1e-8, weight_decay=0.01) over the LoRA tensors only",
                "clip": "torch.nn.utils.clip_grad_norm_(max_norm=1.0); grad_norm is the norm before clipping",
                "schedule": "get_cosine_schedule_with_warmup(num_warmup_steps=2, num_training_steps=20), "
                            "scheduler.step() after each optimizer.step(); learning_rate is the one step s used",
                "batches": "step s uses examples [(4*s + k) % 16 for k in 0..<4], right-padded",
                "steps": steps, "final_b_norm": r7(b_norm)}

    doc = {
        "model": name,
        "configuration": {
            "rank": RANK, "alpha": ALPHA, "scale": ALPHA / RANK, "dropout": 0.0, "targets": TARGETS,
            "a_formula": A_FORMULA + "  (shape [r][in]; float64, then float32)",
            "b_formula": B_FORMULA + "  (shape [out][r]; float64, then float32)",
            "formula_indices": "l = layer 0..<30, m = index of the module in targets, i/j = row/column "
                               "in Hugging Face order (q/k rows un-permuted relative to GGUF)",
            "mask_rule": MASK_RULE,
            "loss": "mean cross-entropy over all labels != -100 of the batch (transformers' default); "
                    "batches right-padded with pad id %d, attention_mask 0 on padding" % pad_id,
            "attention": "eager",
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                         "peft": peft.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
        },
        "examples": examples,
        "gradient": gradient,
        "training": training,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(OUT), os.path.getsize(OUT), "bytes in", f"{time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
