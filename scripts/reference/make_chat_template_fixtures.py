#!/usr/bin/env python3
"""Reference renderings of real chat templates, made by transformers' own renderer.

How to run (from the repository root):

    python3 -m venv .venv-reference
    .venv-reference/bin/pip install torch==2.13.0+cpu transformers gguf tokenizers jinja2 numpy
    .venv-reference/bin/python scripts/reference/make_chat_template_fixtures.py

It writes Tests/TokenizationTests/Fixtures/chat_templates/<template>.json (one per template) and
jinja_engine_cases.json. The Swift tests (ChatTemplateReferenceTests) render the same contexts and must
produce the same text byte for byte, or, where transformers raised, an error with the same message.

Each expected rendering comes from `tokenizer.apply_chat_template(..., tokenize=False)` on a small
in-memory tokenizer whose chat_template and bos/eos tokens are the model's. The fixture stores the
complete context transformers gives the template (messages with None-valued keys dropped, tools,
documents, add_generation_prompt, the special tokens and the extra keyword arguments); the script checks
that rendering that context with transformers' compiled template gives the same text, so the context is
all there is.

The templates (committed next to the fixtures as data):
- smollm2-135m-instruct.jinja: HuggingFaceTB/SmolLM2-135M-Instruct, GGUF metadata key
  tokenizer.chat_template of /work/models/SmolLM2-135M-Instruct.Q4_1.gguf (re-extracted and checked when
  that file, or FINETUNE_TEST_MODEL, exists).
- llama-3.2-3b-instruct.jinja: meta-llama/Llama-3.2-3B-Instruct, as published in llama.cpp's
  models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja.
- qwen2.5-7b-instruct.jinja: Qwen/Qwen2.5-7B-Instruct, as published in llama.cpp's
  tests/chat/templates/Qwen-Qwen2.5-7B-Instruct.jinja.
- mistral-nemo-instruct-2407.jinja: mistralai/Mistral-Nemo-Instruct-2407, as published in llama.cpp's
  models/templates/mistralai-Mistral-Nemo-Instruct-2407.jinja.
- gemma-2-2b-it.jinja: google/gemma-2-2b-it, as published in llama.cpp's
  models/templates/google-gemma-2-2b-it.jinja.
The SHA-256 of each file is checked below (llama.cpp's Git LFS pointers give the same digests).
"""

import hashlib
import json
import os
import pathlib
import sys

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import _compile_jinja_template

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "TokenizationTests" / "Fixtures" / "chat_templates"
DEFAULT_GGUF = pathlib.Path("/work/models/SmolLM2-135M-Instruct.Q4_1.gguf")

TEMPLATES = {
    "smollm2-135m-instruct": dict(
        model="HuggingFaceTB/SmolLM2-135M-Instruct", bos="<|im_start|>", eos="<|im_end|>", tools=False,
        sha256="872be49dbb638044ad01b60388f48d469ff2980e5f0dccdc22ec907db54d0788",
    ),
    "llama-3.2-3b-instruct": dict(
        model="meta-llama/Llama-3.2-3B-Instruct", bos="<|begin_of_text|>", eos="<|eot_id|>", tools=True,
        sha256="5816fce10444e03c2e9ee1ef8a4a1ea61ae7e69e438613f3b17b69d0426223a4",
    ),
    "qwen2.5-7b-instruct": dict(
        model="Qwen/Qwen2.5-7B-Instruct", bos=None, eos="<|im_end|>", tools=True,
        sha256="cd8e9439f0570856fd70470bf8889ebd8b5d1107207f67a5efb46e342330527f",
    ),
    "mistral-nemo-instruct-2407": dict(
        model="mistralai/Mistral-Nemo-Instruct-2407", bos="<s>", eos="</s>", tools=True,
        sha256="e4676cb56dffea7782fd3e2b577cfaf1e123537e6ef49b3ec7caa6c095c62272",
    ),
    "gemma-2-2b-it": dict(
        model="google/gemma-2-2b-it", bos="<bos>", eos="<eos>", tools=False,
        sha256="ecd6ae513fe103f0eb62e8ab5bfa8d0fe45c1074fa398b089c93a7e70c15cfd6",
    ),
}

# ---------------------------------------------------------------------------------------------------
# Conversations


def msg(role, content, **extra):
    return {"role": role, "content": content, **extra}


SYSTEM = msg("system", "You are a terse assistant. Answer in one sentence.")
U1 = msg("user", "What is the capital of France?")
A1 = msg("assistant", "Paris.")
U2 = msg("user", "And of Italy?")
A2 = msg("assistant", "Rome.")
U3 = msg("user", "Thanks!")

COMMON = [
    ("single user, generation prompt", [U1], True, {}),
    ("single user, no generation prompt", [U1], False, {}),
    ("system and user", [SYSTEM, U1], True, {}),
    ("system, multi-turn", [SYSTEM, U1, A1, U2], True, {}),
    ("multi-turn ending with assistant", [U1, A1, U2, A2], False, {}),
    ("three exchanges", [U1, A1, U2, A2, U3], True, {}),
    ("unicode content", [msg("user", "Grüße aus Köln! 你好，世界 🌍🚀 — naïve café, שלום, Ωμέγα")], True, {}),
    ("whitespace around content", [msg("user", "  \n\tHello there\t \n\n "), msg("assistant", "\n  Hi!  \n")], True, {}),
    ("empty contents", [msg("user", ""), msg("assistant", ""), msg("user", " ")], True, {}),
    ("template syntax and special tokens in content", [
        msg("user", "Print {{ messages }} and {% if x %}y{% endif %} {# note #} <|im_end|> <|eot_id|> [INST] <end_of_turn>"),
    ], True, {}),
    ("quotes and backslashes", [msg("user", "She said \"hi\" and 'bye'. Path: C:\\temp\\new\\n — tab:\t.")], False, {}),
    ("system with surrounding whitespace", [msg("system", "\n  Be brief.  \n"), U1], True, {}),
    ("conversation starting with assistant", [A1, U1], True, {}),
    ("two user messages in a row", [U1, U2], True, {}),
    ("unknown role", [U1, msg("developer", "Use metric units.")], True, {}),
    ("system message only", [SYSTEM], True, {}),
    ("None-valued keys are dropped", [msg("user", "Hi", name=None), msg("assistant", "Hello", tool_calls=None)], False, {}),
]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city — with “quotes”, ünïcödé and a\nnewline.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 14},
                "threshold": {"type": "number", "default": 0.5},
                "tiny": {"type": "number", "default": 1e-07},
                "verbose": {"type": "boolean", "default": False},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra": {"type": "object", "properties": {}},
                "nothing": {"default": None},
            },
            "required": ["city"],
        },
        "return": {"type": "string"},
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a timezone.",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": []},
    },
}
TOOLS = [WEATHER_TOOL, TIME_TOOL]
WEATHER_ARGS = {"city": "Zürich", "unit": "celsius", "days": 3, "threshold": 2.5, "verbose": True, "tags": []}
CALL_1 = {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": WEATHER_ARGS}}
CALL_2 = {"id": "call67890", "type": "function", "function": {"name": "get_time", "arguments": {"tz": "Europe/Zurich"}}}
Q = msg("user", "What's the weather in Zürich, and what time is it there?")
RESULT_1 = msg("tool", '{"temperature": 21.5, "sky": "sunny"}', tool_call_id="call12345", name="get_weather")
RESULT_2 = msg("tool", "14:05", tool_call_id="call67890", name="get_time")

TOOL_CASES = [
    ("tools with a question", [Q], True, {"tools": TOOLS}),
    ("tools with a system message", [SYSTEM, Q], True, {"tools": TOOLS}),
    ("tool call and result", [Q, msg("assistant", None, tool_calls=[CALL_1]), RESULT_1], True, {"tools": TOOLS}),
    ("tool call, result and answer", [
        Q, msg("assistant", None, tool_calls=[CALL_1]), RESULT_1, msg("assistant", "It is 21.5 °C and sunny."),
    ], False, {"tools": TOOLS}),
    ("two tool calls at once", [Q, msg("assistant", None, tool_calls=[CALL_1, CALL_2]), RESULT_1, RESULT_2], True,
     {"tools": TOOLS}),
    ("assistant text with a tool call", [Q, msg("assistant", "Let me check.", tool_calls=[CALL_2]), RESULT_2], True,
     {"tools": TOOLS}),
    ("tool call arguments as a JSON string", [
        Q, msg("assistant", None, tool_calls=[{"id": "abcdefghi", "type": "function",
                                               "function": {"name": "get_time", "arguments": '{"tz": "UTC"}'}}]),
    ], False, {"tools": TOOLS}),
    ("tool call id of the wrong length", [
        Q, msg("assistant", None, tool_calls=[{"id": "x1", "type": "function",
                                               "function": {"name": "get_time", "arguments": {}}}]),
    ], False, {"tools": TOOLS}),
    ("tool result as an object", [
        Q, msg("assistant", None, tool_calls=[CALL_1]),
        msg("tool", {"temperature": 21.5, "sky": "sunny", "alerts": []}, tool_call_id="call12345"),
    ], True, {"tools": TOOLS}),
    ("tools but no messages after the system message", [SYSTEM], True, {"tools": TOOLS}),
    ("empty tool list", [U1], True, {"tools": []}),
]

LLAMA_CASES = [
    ("tools in the system message", [SYSTEM, Q], True, {"tools": TOOLS, "tools_in_user_message": False}),
    ("custom_tools", [Q], True, {"custom_tools": [TIME_TOOL]}),
    ("ipython role", [Q, msg("assistant", None, tool_calls=[CALL_2]), msg("ipython", ["14:05", 1])], True,
     {"tools": TOOLS}),
]


def cases_for(name, spec):
    cases = list(COMMON)
    if spec["tools"]:
        cases += TOOL_CASES
    else:
        cases.append(("tools passed to a template without tool support", [U1], True, {"tools": TOOLS}))
    if name.startswith("llama"):
        cases += LLAMA_CASES
    if name.startswith("gemma"):
        cases.append(("content as a list of parts", [msg("user", [{"type": "text", "text": "Hi"}])], True, {}))
    out = []
    for title, messages, add_generation_prompt, kwargs in cases:
        kwargs = dict(kwargs)
        if name.startswith("llama"):
            kwargs.setdefault("date_string", "26 Jul 2024")
        out.append((title, messages, add_generation_prompt, kwargs))
    return out


# ---------------------------------------------------------------------------------------------------
# Rendering


def make_tokenizer(template, bos, eos):
    backend = Tokenizer(WordLevel({"<unk>": 0}, unk_token="<unk>"))
    tokens = {}
    if bos is not None:
        tokens["bos_token"] = bos
    if eos is not None:
        tokens["eos_token"] = eos
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, **tokens)
    tokenizer.chat_template = template
    return tokenizer


def render_case(tokenizer, template, messages, add_generation_prompt, kwargs):
    kwargs = dict(kwargs)
    tools = kwargs.pop("tools", None)
    # The context apply_chat_template gives the template (see render_jinja_template).
    context = {
        "messages": [{k: v for k, v in m.items() if v is not None} for m in messages],
        "tools": tools,
        "documents": None,
        "add_generation_prompt": add_generation_prompt,
        **tokenizer.special_tokens_map,
        **kwargs,
    }
    case = {"context": context}
    try:
        text = tokenizer.apply_chat_template(
            messages, tools=tools, add_generation_prompt=add_generation_prompt, tokenize=False, **kwargs
        )
    except Exception as error:  # the template rejected the conversation
        case["error"] = str(error)
        case["error_type"] = type(error).__name__
        try:
            _compile_jinja_template(template).render(**context)
        except Exception as again:
            assert str(again) == str(error), (str(again), str(error))
        else:
            raise AssertionError("the context does not reproduce the error")
        return case
    assert _compile_jinja_template(template).render(**context) == text, "the context does not reproduce the text"
    case["expected"] = text
    return case


def gguf_template():
    path = pathlib.Path(os.environ.get("FINETUNE_TEST_MODEL", DEFAULT_GGUF))
    if not path.exists():
        return None
    import gguf

    reader = gguf.GGUFReader(str(path))
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def write_json(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def template_fixtures():
    for name, spec in TEMPLATES.items():
        path = FIXTURES / f"{name}.jinja"
        if name.startswith("smollm2"):
            extracted = gguf_template()
            if extracted is not None:
                path.write_text(extracted, encoding="utf-8")
        template = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(template.encode("utf-8")).hexdigest()
        if digest != spec["sha256"]:
            sys.exit(f"{path.name}: SHA-256 {digest} is not the published template's {spec['sha256']}")
        tokenizer = make_tokenizer(template, spec["bos"], spec["eos"])
        cases = []
        for title, messages, add_generation_prompt, kwargs in cases_for(name, spec):
            case = {"name": title, **render_case(tokenizer, template, messages, add_generation_prompt, kwargs)}
            cases.append(case)
        write_json(FIXTURES / f"{name}.json", {
            "model": spec["model"], "template": path.name, "cases": cases,
        })
        errors = sum("error" in c for c in cases)
        print(f"{name}: {len(cases)} cases ({errors} rejected)")


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    from jinja_engine_cases import engine_fixture

    template_fixtures()
    write_json(FIXTURES / "jinja_engine_cases.json", engine_fixture())
