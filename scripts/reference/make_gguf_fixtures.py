#!/usr/bin/env python3
"""Writes the GGUF reader's reference fixtures with gguf-py, llama.cpp's own Python package.

How to run (from the repository root):

    python3 -m venv .venv-reference
    .venv-reference/bin/pip install torch==2.13.0+cpu transformers gguf tokenizers jinja2 numpy
    .venv-reference/bin/python scripts/reference/make_gguf_fixtures.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

It writes two files into Tests/GGUFTests/Fixtures/:

- reference.gguf.bin (about 4 KB; named .bin because the repository ignores *.gguf): metadata of every GGUF value type (nested arrays included) and
  small tensors of F32, F16, BF16, Q8_0, Q4_0, Q4_1 (quantized by gguf.quants from seeded random
  values) and Q4_K, Q6_K (gguf.quants cannot quantize these, so their blocks are random bytes with
  sensible f16 scales; every bit pattern is a valid block).
- reference.json: the metadata as typed JSON, and for every tensor its ggml shape, type, the
  float32 input (for the types gguf-py quantizes), the encoded bytes in hex, and the values
  gguf.quants.dequantize gives. With the model (the argument, else $FINETUNE_TEST_MODEL, else
  $FINETUNE_HOME/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf), also facts about
  the real model and a few dequantized rows of token_embd.weight (Q8_0) and blk.0.attn_q.weight
  (Q4_1), so the Swift tests can check the real file without Python.
"""
import json
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "GGUFTests" / "Fixtures"

def default_model() -> Path:
    """The model the Swift tests use: $FINETUNE_TEST_MODEL, else the one under $FINETUNE_HOME."""
    if os.environ.get("FINETUNE_TEST_MODEL"):
        return Path(os.environ["FINETUNE_TEST_MODEL"])
    home = Path(os.environ.get("FINETUNE_HOME") or Path.home() / ".cache" / "finetune")
    return home / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf"


MODEL = Path(sys.argv[1]) if len(sys.argv) > 1 else default_model()

rng = np.random.default_rng(20240611)

# --- metadata: (key, gguf type, value, element type for arrays) --------------------------------
METADATA = [
    ("test.uint8", V.UINT8, 200, None),
    ("test.int8", V.INT8, -100, None),
    ("test.uint16", V.UINT16, 60000, None),
    ("test.int16", V.INT16, -30000, None),
    ("test.uint32", V.UINT32, 4000000000, None),
    ("test.int32", V.INT32, -2000000000, None),
    ("test.uint64", V.UINT64, 18000000000000000000, None),
    ("test.int64", V.INT64, -9000000000000000000, None),
    ("test.float32", V.FLOAT32, 0.1, None),  # stored as the float32 nearest 0.1
    ("test.float64", V.FLOAT64, -1.0e-300, None),
    ("test.bool_true", V.BOOL, True, None),
    ("test.bool_false", V.BOOL, False, None),
    ("test.string", V.STRING, "héllo, wörld ✓ 🦙", None),
    ("test.empty_string", V.STRING, "", None),
    ("test.array.uint8", V.ARRAY, [0, 1, 255], V.UINT8),
    ("test.array.int8", V.ARRAY, [-128, 0, 127], V.INT8),
    ("test.array.uint16", V.ARRAY, [0, 65535], V.UINT16),
    ("test.array.int16", V.ARRAY, [-32768, 32767], V.INT16),
    ("test.array.uint32", V.ARRAY, [1, 2, 4294967295], V.UINT32),
    ("test.array.int32", V.ARRAY, [-2147483648, 0, 2147483647], V.INT32),
    ("test.array.uint64", V.ARRAY, [0, 18446744073709551615], V.UINT64),
    ("test.array.int64", V.ARRAY, [-9223372036854775808, 9223372036854775807], V.INT64),
    ("test.array.float32", V.ARRAY, [1.5, -2.25, 3.0e38], V.FLOAT32),
    ("test.array.float64", V.ARRAY, [1.0e300, -0.5], V.FLOAT64),
    ("test.array.bool", V.ARRAY, [True, False, True], V.BOOL),
    ("test.array.string", V.ARRAY, ["Ġthe", "<|im_start|>", "", "日本語"], V.STRING),
    ("test.array.nested", V.ARRAY, [[1, 2, 3], [4], [5, 6]], V.ARRAY),
    ("general.name", V.STRING, "reference fixture", None),
]

TYPE_NAMES = {t: t.name.lower() for t in V}


def jsonable(value, vtype, sub):
    """The value with its GGUF type, the way the Swift test decodes it."""
    if vtype != V.ARRAY:
        if vtype in (V.FLOAT32,):
            value = float(np.float32(value))
        return {"type": TYPE_NAMES[vtype], "value": value}
    if sub == V.ARRAY:
        return {"type": "array", "value": [jsonable(v, V.ARRAY, V.INT32) for v in value]}
    return {"type": "array", "value": [jsonable(v, sub, None) for v in value]}


def numpy_shape_to_ggml(shape):
    return list(reversed(shape))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    gguf_path = OUT / "reference.gguf.bin"
    writer = gguf.GGUFWriter(str(gguf_path), arch="reference")
    metadata = {"general.architecture": {"type": "string", "value": "reference"}}
    for key, vtype, value, sub in METADATA:
        # add_key_value, not add_string/add_array, which skip empty values.
        # Inner arrays of the nested array are written as int32 (gguf-py's type for Python ints).
        writer.add_key_value(key, value, vtype, sub_type=sub)
        metadata[key] = jsonable(value, vtype, sub)

    tensors = {}

    def add(name, qtype, raw_bytes, ggml_shape, inputs=None):
        """Adds encoded bytes (rows of whole blocks) and records what gguf-py dequantizes them to."""
        rows = int(np.prod(ggml_shape[1:]))
        data = np.frombuffer(raw_bytes, dtype=np.uint8).reshape(rows, -1)
        writer.add_tensor(name, data, raw_dtype=qtype)
        values = gguf.quants.dequantize(data, qtype).astype(np.float32).reshape(-1)
        entry = {"type": qtype.name, "shape": ggml_shape, "bytes": raw_bytes.hex(),
                 "dequantized": [float(v) for v in values]}
        if inputs is not None:
            entry["input"] = [float(v) for v in inputs.reshape(-1)]
        tensors[name] = entry

    # F32 and F16: plain numpy arrays (gguf-py maps the dtype).
    f32 = rng.standard_normal((3, 8)).astype(np.float32)
    writer.add_tensor("plain.f32", f32)
    tensors["plain.f32"] = {"type": "F32", "shape": numpy_shape_to_ggml(f32.shape),
                            "bytes": f32.tobytes().hex(), "dequantized": [float(v) for v in f32.reshape(-1)],
                            "input": [float(v) for v in f32.reshape(-1)]}
    f16_input = (rng.standard_normal((2, 16)) * 3).astype(np.float32)
    f16_input[0, :4] = [65504.0, 1.0e-7, -0.0, -65519.0]  # largest half, a subnormal, -0, one that rounds to -65504
    f16 = f16_input.astype(np.float16)
    writer.add_tensor("plain.f16", f16)
    tensors["plain.f16"] = {"type": "F16", "shape": numpy_shape_to_ggml(f16.shape), "bytes": f16.tobytes().hex(),
                            "dequantized": [float(v) for v in f16.astype(np.float32).reshape(-1)],
                            "input": [float(v) for v in f16_input.reshape(-1)]}

    # BF16, Q8_0, Q4_0, Q4_1: quantized by gguf.quants from float32 inputs.
    for name, qtype in [("quant.bf16", Q.BF16), ("quant.q8_0", Q.Q8_0), ("quant.q4_0", Q.Q4_0), ("quant.q4_1", Q.Q4_1)]:
        x = (rng.standard_normal((4, 64)) * 0.05).astype(np.float32)
        x[1, :32] = 0.0                          # an all-zero block (d = 0)
        x[2, :32] = np.linspace(-1.0, 1.0, 32)   # -1 and +1 tie for the largest magnitude
        x[3, 32:] *= 1000.0                      # a wide range
        encoded = gguf.quants.quantize(x, qtype)
        add(name, qtype, encoded.tobytes(), numpy_shape_to_ggml(x.shape), inputs=x)

    # Q4_K and Q6_K: random blocks with realistic f16 scales.
    def half(x):
        return np.array([x], dtype=np.float16).view(np.uint8)

    q4k = rng.integers(0, 256, size=(2, 144), dtype=np.uint8)   # two super-blocks: d, dmin, scales, nibbles
    q4k[0, 0:2], q4k[0, 2:4] = half(0.0123), half(0.0031)
    q4k[1, 0:2], q4k[1, 2:4] = half(-0.0211), half(0.0005)
    add("kquant.q4_K", Q.Q4_K, q4k.tobytes(), [512, 1])
    q6k = rng.integers(0, 256, size=(2, 210), dtype=np.uint8)   # ql, qh, int8 scales, d
    q6k[0, 208:210] = half(0.0019)
    q6k[1, 208:210] = half(-0.0642)
    add("kquant.q6_K", Q.Q6_K, q6k.tobytes(), [256, 2])

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    # Read it back with gguf-py to record what its own reader sees.
    reader = gguf.GGUFReader(str(gguf_path))
    layout = {"version": int(reader.fields["GGUF.version"].contents()), "alignment": reader.alignment, "data_offset": reader.data_offset,
              "metadata_keys": [k for k in reader.fields if not k.startswith("GGUF.")],
              "tensor_names": [t.name for t in reader.tensors],
              "tensor_offsets": [int(t.data_offset) - reader.data_offset for t in reader.tensors]}

    result = {"file": "reference.gguf.bin", "layout": layout, "metadata": metadata, "tensors": tensors}
    json_path = OUT / "reference.json"
    if MODEL.exists():
        result["real_model"] = real_model_facts(MODEL)
    elif json_path.exists() and "real_model" in (previous := json.loads(json_path.read_text())):
        print(f"note: {MODEL} not found; keeping the real_model facts already in {json_path.name}", file=sys.stderr)
        result["real_model"] = previous["real_model"]
    else:
        print(f"note: {MODEL} not found; real_model facts left out", file=sys.stderr)
    json_path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {gguf_path} ({gguf_path.stat().st_size} bytes) and reference.json")


def real_model_facts(path):
    reader = gguf.GGUFReader(str(path))
    types = Counter(t.tensor_type.name for t in reader.tensors)

    def rows(name, indices):
        tensor = next(t for t in reader.tensors if t.name == name)
        # numpy shape [rows, shape[0]] (a 1-D tensor is one row)
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(-1, int(tensor.shape[0]))
        return {"type": tensor.tensor_type.name, "shape": [int(d) for d in tensor.shape],
                "rows": {str(i): [float(v) for v in values[i]] for i in indices}}

    def field(key):
        return reader.fields[key].contents()

    return {
        "file_size": path.stat().st_size,
        "data_offset": reader.data_offset,
        "metadata_key_count": len([k for k in reader.fields if not k.startswith("GGUF.")]),
        "tensor_count": len(reader.tensors),
        "tensor_types": dict(types),
        "block_count": field("llama.block_count"),
        "vocabulary_size": len(field("tokenizer.ggml.tokens")),
        "merge_count": len(field("tokenizer.ggml.merges")),
        "tokens": {str(i): field("tokenizer.ggml.tokens")[i] for i in (0, 1, 2, 100, 49151)},
        "rope_freq_base": float(field("llama.rope.freq_base")),
        "tensors": {
            "token_embd.weight": rows("token_embd.weight", [0, 1, 49151]),
            "blk.0.attn_q.weight": rows("blk.0.attn_q.weight", [0, 7, 575]),
            "blk.0.attn_norm.weight": rows("blk.0.attn_norm.weight", [0]),
        },
    }


if __name__ == "__main__":
    main()
