#!/usr/bin/env python3
"""A plain Python validator for chat fine-tuning JSONL: the benchmark's peer.

It follows the checks of OpenAI's cookbook notebook "Data preparation and
analysis for chat model fine-tuning" (format errors, token estimates), extended
with the checks `finetune validate` also makes (weights, tool calls, empty
content, duplicates). It is written the way a reasonable person would write
such a script: read line by line, json.loads, check, count. One process, no
tricks.

Usage: python3 bench/validate_reference.py FILE [--max-tokens 65536] [--quiet]
Exit status: 0 when the file has no errors, 1 when it has, 2 on a usage or I/O
problem (like `finetune validate`).
"""

import argparse
import hashlib
import json
import os
import sys
import time

ROLES = {"system", "developer", "user", "assistant", "tool"}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
TOP_LEVEL_KEYS = {"messages", "tools", "parallel_tool_calls", "functions", "metadata"}
TOKENS_PER_MESSAGE = 4
TOKENS_PER_EXAMPLE = 3
MIN_EXAMPLES = 10


class Report:
    def __init__(self, max_shown):
        self.errors = 0
        self.warnings = 0
        self.max_shown = max_shown
        self.shown = 0

    def _show(self, kind, line, text):
        if self.shown < self.max_shown:
            print(f"line {line}: {kind}: {text}")
            self.shown += 1

    def error(self, line, text):
        self.errors += 1
        self._show("error", line, text)

    def warning(self, line, text):
        self.warnings += 1
        self._show("warning", line, text)


def content_text(content):
    """The text of a content value: a string, or a list of text parts. None if malformed."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                return None
            texts.append(part["text"])
        return "".join(texts)
    return None


def check_tool_calls(calls, where, line, report, open_ids):
    if not isinstance(calls, list) or not calls:
        report.error(line, f"{where}.tool_calls: expected a non-empty list")
        return
    for i, call in enumerate(calls):
        path = f"{where}.tool_calls[{i}]"
        if not isinstance(call, dict):
            report.error(line, f"{path}: expected an object")
            continue
        if not isinstance(call.get("id"), str) or not call["id"]:
            report.error(line, f"{path}.id: expected a non-empty string")
        else:
            open_ids.add(call["id"])
        if call.get("type", "function") != "function":
            report.error(line, f"{path}.type: must be \"function\"")
        function = call.get("function")
        if not isinstance(function, dict):
            report.error(line, f"{path}.function: expected an object")
            continue
        if not isinstance(function.get("name"), str) or not function["name"]:
            report.error(line, f"{path}.function.name: expected a non-empty string")
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            report.error(line, f"{path}.function.arguments: expected a string holding JSON")
            continue
        try:
            parsed = json.loads(arguments)
        except ValueError as e:
            report.error(line, f"{path}.function.arguments: invalid JSON ({e})")
            continue
        if not isinstance(parsed, dict):
            report.error(line, f"{path}.function.arguments: must hold a JSON object")


def check_example(example, line, report, max_tokens):
    """Checks one parsed line. Returns (tokens, canonical hash) or None when unusable."""
    if not isinstance(example, dict):
        report.error(line, "expected a JSON object")
        return None
    for key in example:
        if key not in TOP_LEVEL_KEYS:
            report.warning(line, f"unknown top-level key \"{key}\"")
    tools = example.get("tools")
    if tools is not None and not isinstance(tools, list):
        report.error(line, "tools: expected a list")
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        report.error(line, "messages: missing, not a list, or empty")
        return None

    errors_before = report.errors
    tokens = TOKENS_PER_EXAMPLE
    trained = 0
    open_ids = set()
    digest = hashlib.sha1()  # of roles and contents, for duplicate detection
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            report.error(line, f"{where}: expected an object")
            continue
        for key in message:
            if key not in MESSAGE_KEYS:
                report.error(line, f"{where}: unknown key \"{key}\"")
        role = message.get("role")
        if role not in ROLES:
            report.error(line, f"{where}.role: missing or unknown role {role!r}")
            continue
        has_calls = "tool_calls" in message or "function_call" in message

        weight = message.get("weight")
        is_trained = role == "assistant"
        if "weight" in message:
            if role != "assistant":
                report.error(line, f"{where}.weight: only allowed on assistant messages")
            elif weight not in (0, 1) or isinstance(weight, bool):
                report.error(line, f"{where}.weight: must be 0 or 1, found {weight!r}")
            else:
                is_trained = weight == 1

        content = message.get("content")
        if content is None:
            text = ""
            if not (role == "assistant" and has_calls):
                report.error(line, f"{where}: missing content")
        else:
            text = content_text(content)
            if text is None:
                report.error(line, f"{where}.content: must be a string or a list of text parts")
                text = ""
            elif not text.strip() and not (role == "assistant" and has_calls):
                if is_trained:
                    report.error(line, f"{where}.content: empty assistant reply")
                else:
                    report.warning(line, f"{where}.content: empty")

        if "tool_calls" in message:
            if role == "assistant":
                check_tool_calls(message["tool_calls"], where, line, report, open_ids)
            else:
                report.error(line, f"{where}.tool_calls: only allowed on assistant messages")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                report.error(line, f"{where}: tool message without tool_call_id")
            elif call_id not in open_ids:
                report.error(line, f"{where}.tool_call_id: answers unknown call {call_id!r}")
            else:
                open_ids.discard(call_id)
        elif "tool_call_id" in message:
            report.error(line, f"{where}.tool_call_id: only allowed on tool messages")

        if role == "assistant" and is_trained:
            trained += 1
        encoded = text.encode("utf-8")
        tokens += TOKENS_PER_MESSAGE + len(encoded) // 4
        digest.update(b"\0" + role.encode() + b"\0" + encoded)
        if "tool_calls" in message:
            digest.update(json.dumps(message["tool_calls"], sort_keys=True).encode())

    if report.errors == errors_before and trained == 0:
        report.error(line, "no assistant message is trained on (missing, or all weight 0)")
    for call_id in sorted(open_ids):
        report.warning(line, f"tool call {call_id!r} is never answered by a tool message")
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") != "assistant":
        report.warning(line, "the last message is not the assistant's")
    if tokens > max_tokens:
        report.error(line, f"about {tokens} tokens, over the limit of {max_tokens}")
    if report.errors != errors_before:
        return None
    return tokens, digest.digest()


def main():
    parser = argparse.ArgumentParser(description="Validate chat fine-tuning JSONL (reference implementation).")
    parser.add_argument("file")
    parser.add_argument("--max-tokens", type=int, default=65536, help="per-example token limit (default 65536)")
    parser.add_argument("--show", type=int, default=20, help="findings to print (default 20)")
    args = parser.parse_args()

    report = Report(args.show)
    seen = {}
    lines = examples = usable = total_tokens = 0
    start = time.perf_counter()
    try:
        size = os.path.getsize(args.file)
        with open(args.file, "rb") as f:
            for number, raw in enumerate(f, start=1):
                lines = number
                if not raw.strip():
                    continue
                examples += 1
                try:
                    example = json.loads(raw)
                except ValueError as e:  # includes invalid UTF-8
                    report.error(number, f"invalid JSON: {e}")
                    continue
                result = check_example(example, number, report, args.max_tokens)
                if result is None:
                    continue
                tokens, digest = result
                usable += 1
                total_tokens += tokens
                first = seen.setdefault(digest, number)
                if first != number:
                    report.warning(number, f"duplicate of line {first}")
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if examples < MIN_EXAMPLES:
        report.error(lines, f"only {examples} examples; at least {MIN_EXAMPLES} are required")
    elapsed = time.perf_counter() - start

    mb = size / 1e6
    print(f"{args.file}: {lines:,} lines, {examples:,} examples, {usable:,} usable, ~{total_tokens:,} tokens")
    print(f"{report.errors:,} errors, {report.warnings:,} warnings")
    print(f"{mb:,.1f} MB in {elapsed:.2f}s: {mb / elapsed if elapsed > 0 else 0:,.1f} MB/s")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
