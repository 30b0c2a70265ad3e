#!/usr/bin/env python3
"""Reference token ids for the byte-level BPE tokenizer (Sources/Tokenization).

How to run (from the repository root):

    python3 -m venv .venv-reference
    .venv-reference/bin/pip install torch==2.13.0+cpu transformers gguf tokenizers jinja2 numpy
    .venv-reference/bin/python scripts/reference/make_tokenizer_fixtures.py [path/to/model.gguf]

The model path defaults to $FINETUNE_TEST_MODEL (SmolLM2-135M-Instruct.Q4_1.gguf).

It writes, under Tests/TokenizationTests/Fixtures/tokenizer/:

1. corpus.jsonl -- the test corpus, built deterministically (hand-written strings of every category,
   then seeded random combinations of them). One line per string: {"text": ...}.
2. smollm2-135m-instruct.jsonl -- one line per corpus line, in the same order:
   {"ids": [...]} from `AutoTokenizer.from_pretrained(dir, gguf_file=name)` with
   add_special_tokens=False (special tokens written in the text are parsed as specials), plus
   "plain_ids" (with split_special_tokens=True, i.e. specials tokenized as text) where that differs,
   "decoded" where decode(ids) differs from the text, and "decoded_skip" where
   decode(ids, skip_special_tokens=True) differs from "decoded".
3. decode_cases.jsonl -- seeded random id sequences (byte tokens that split characters, special
   tokens, ids past the end of the vocabulary) with {"ids", "decoded", "decoded_skip"}: how the
   reference decodes what a model may generate, invalid UTF-8 and unknown ids included.
4. pretokenizer_splits.jsonl -- one line per corpus line: the lengths, in Unicode scalars, of the
   pieces that the Llama 3 ("llama-bpe") and Qwen 2 ("qwen2") split patterns cut the text into
   (Hugging Face `tokenizers` Split(Regex(pattern), "isolated")), for models this repo has no file of.

The reference is transformers' GGUF tokenizer. For tokenizer.ggml.pre = "smollm" it builds a GPT-2
tokenizer whose pre-tokenizer is ByteLevel(add_prefix_space=False, use_regex=True): GPT-2's split
pattern only. llama.cpp's "smollm" pre-tokenizer first splits every digit apart (as SmolLM's own
tokenizer.json does), so llama.cpp cuts "2024" into 4 tokens where this reference gives one or two.
The Swift tokenizer follows this reference; the script asserts the pre-tokenizer it sees so a change
in transformers shows up here.
"""

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "TokenizationTests" / "Fixtures" / "tokenizer"

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# ---------------------------------------------------------------------------------------------
# 1. The corpus
# ---------------------------------------------------------------------------------------------

SEEDS = {
    "english": [
        "Hello world",
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
        "I can't believe they're here; we'll see what you've done, I'd say I'm sure.",
        "She said: \"Don't go!\" -- and he didn't.",
        "Fine-tuning a 135M-parameter model takes minutes, not hours.",
        "Q: What is the capital of France? A: Paris.",
        "Mr. Smith (aged 42) arrived at 5 p.m. on Tuesday.",
        "E-mail me at john.doe@example.com or visit https://example.org/path?q=1&lang=en#top",
        "THE END", "thE eNd", "a", "I", "OK", "ok.", "...", "?!", "Wait... what?!",
        "Supercalifragilisticexpialidocious",
        "antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis",
        "Summarize the following text in one sentence.",
        "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
        "Translate to French: The weather is nice today.",
        "Write a haiku about autumn leaves.",
        "list: apples, oranges, pears; and (of course) bananas.",
        "he said 'hello' and she said \"goodbye\"",
        "rock'n'roll, o'clock, y'all, ma'am",
        "It’s curly — isn’t it? “Quotes” and ‘single’ ones…",
    ],
    "contractions": [
        "it's", "they're", "we'll", "you've", "I'd", "I'm", "don't", "IT'S", "THEY'RE", "WE'LL",
        "It'S", "'s", "'re'", "''s", "'''", "x'sy", "the cat's toy's owner's", "John's 'quoted' 'S",
        "it'ſ", "can’t won’t", "'ll'll'll", " 've", "'d've", "l'ordinateur d'Anne",
    ],
    "numbers": [
        "0", "1", "12", "123", "1234", "12345", "123456789012345678901234567890",
        "1,299.99", "3.14e-10", "-42", "+7", "6.022e23", "1e100", "0.0001", "100%", "50 %",
        "0xFF 0b1010 0o777", "v1.2.3", "2024-01-15", "15/01/2024", "12:30:45", "3:00pm",
        "+1 (555) 123-4567", "1st 2nd 3rd 4th", "π ≈ 3.14159", "½ ¼ ¾ ² ³ ¹", "Ⅻ Ⅳ ⅷ",
        "٠١٢٣٤٥٦٧٨٩", "१२३४", "１２３", "10,000,000", "1.000.000,50", "1 000 000", "007", "99 bottles",
        "x1y2z3", "abc123def", "IPv4 192.168.0.1", "ISBN 978-3-16-148410-0",
    ],
    "prices": [
        "$19.99", "$1,299.99", "€5,00", "£1,000", "¥500", "₹2,499", "12.50 USD", "USD 12.50",
        "The price is $3.50 (was $4.00).", "Save 20%: only €99.95!", "£0.99/month", "$$$",
        "Total: $1,234,567.89", "฿100", "₩10,000", "CHF 45.-", "$ 5", "5$", "-$20.00",
        "Price: 1,299.99 EUR incl. VAT", "€1.299,99", "R$ 50,00",
    ],
    "whitespace": [
        "", " ", "  ", "   ", "\n", "\n\n", "\n\n\n", "\t", "\t\t", "\r\n", "\r\n\r\n",
        " leading", "  two leading", "trailing ", "trailing  ", " both ", "a  b", "a   b", "a    b",
        "a\nb", "a\n\nb", "a\n\n\nb", "a \nb", "a\n b", "a \n b", "a\tb", "a\t\tb", " \t \n ",
        "line one\r\nline two\r\n", "\n leading newline", "ends with newline\n", "ends\n\n",
        "\u00a0non-breaking\u00a0space", "ideographic\u3000space", "thin\u2009space", "\u2028line sep",
        "tab\tseparated\tvalues\there", "    four spaces", "        eight spaces", " " * 40 + "x",
        "x" + " " * 33, "\n" * 12, "\t \t \t", " \n", "\n ", "  \n  \n  ", "a\u000bb\u000cc",
        "\u0085next line", "word \u00a0 word",
    ],
    "emoji": [
        "😀", "😀😀😀", "I love it ❤️", "👍🏽", "👨‍👩‍👧‍👦", "👩🏾‍💻 coding", "🇫🇷🇯🇵", "1️⃣ 2️⃣",
        "🏳️‍🌈", "🤖 bots!", "emoji😀glued", "🙂 🙃", "✅ done ❌ failed", "☕️", "🧑‍🚀🚀",
        "smile :) :-( ;-)", "♥♦♣♠", "→ ← ↑ ↓ ⇒", "★☆✓✗", "🐍🦀🐹", "🫠🫨", "©®™",
    ],
    "cjk": [
        "你好，世界！", "我爱自然语言处理。", "今天天气很好", "東京は日本の首都です。", "こんにちは、世界",
        "カタカナとひらがな", "안녕하세요 세계", "한국어 텍스트입니다.", "漢字かな交じり文", "中文English混合",
        "价格：¥1,299", "「引用」『二重』", "第1章 はじめに", "ｆｕｌｌｗｉｄｔｈ", "①②③",
    ],
    "accented": [
        "café", "naïve résumé", "Straße", "Ærøskøbing", "São Paulo", "Ça va? Où est-il?",
        "Zürich, München, Köln", "Łódź", "İstanbul ıi", "Tiếng Việt có dấu", "Dvořák", "El Niño",
        "cafe\u0301", "e\u0301\u0300\u0302", "n\u0303", "Å vs A\u030a", "ﬁ ﬂ ligatures", "œuvre",
        "crème brûlée", "façade", "Ελληνικά", "Русский текст", "Україна", "עברית", "العربية",
        "हिन्दी", "ไทย", "ქართული", "Հայերեն", "ᚠᚢᚦ",
    ],
    "code": [
        "def add(a, b):\n    return a + b\n",
        "for i in range(10):\n\tprint(i)\n",
        "if (x > 0) {\n  y = x * 2;\n} else {\n  y = -x;\n}",
        "func greet(_ name: String) -> String {\n    \"Hello, \\(name)!\"\n}",
        "let xs = [1, 2, 3].map { $0 * 2 }",
        "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
        "{\"key\": \"value\", \"n\": 1.5, \"list\": [true, false, null]}",
        "<div class=\"main\"><p>Hello</p></div>",
        "x = {'a': 1, 'b': [1, 2]}  # comment",
        "$ ls -la | grep .swift && echo \"done\"",
        "    indented\n        more\n    back",
        "a==b != c <= d >= e && f || !g",
        "i++; j--; k += 1; l -= 2; m *= 3; n /= 4;",
        "// TODO: fix this\n/* block */",
        "class Foo:\n    def __init__(self):\n        self.x = 0\n\n    def bar(self):\n        pass\n",
        "import numpy as np\narr = np.zeros((3, 4), dtype=np.float32)",
        "fn main() {\n    let v: Vec<u32> = Vec::new();\n}",
        "`inline code` and ```fenced```",
        "```python\nprint('hi')\n```",
        "\\begin{equation} E = mc^2 \\end{equation}",
        "@property\ndef name(self) -> str: ...",
        "arr[i][j] = arr[i-1][j] + arr[i][j-1]",
        "lambda x: x**2",
        "0x7fffffff & ~mask >> 3 << 2",
        "url = \"https://api.example.com/v1/items?id=42&sort=desc\"",
        "C:\\Users\\name\\Documents\\file.txt",
        "/usr/local/bin/python3 -m pip install -r requirements.txt",
    ],
    "special": [
        "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there!<|im_end|>\n",
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n",
        "text before <|im_start|> text after", "mid<|im_end|>text", "<|im_start|><|im_end|>",
        "<|im_start|><|im_start|>", "<|im_start", "<|im_start|", "im_start|>", "<|im_end", "<||>",
        "< |im_start| >", "<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>",
        "<|im_start|>user\n<|im_start", "<repo_name>finetune<file_sep>main.swift", "<filename>a.py",
        " <|im_end|> ", "\n<|im_end|>\n", "<|IM_START|>", "<|im_start|>assistant", "<<|im_end|>>",
        "<jupyter_code>x = 1<jupyter_output>1", "<empty_output>", "<|im_end|><|im_start|>",
    ],
    "misc": [
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababababab",
        "!!!!!!!!!!!!!!!!", "----------------------------------------", "================",
        "........", "___init___", "snake_case_name camelCaseName PascalCase kebab-case",
        "SGVsbG8gV29ybGQhIFRoaXMgaXMgYmFzZTY0Lg==", "# Heading\n\n* item one\n* item two\n\n> quote",
        "| a | b |\n|---|---|\n| 1 | 2 |", "**bold** _italic_ ~~strike~~", "a\u200bb zero width",
        "\u200d\u200c", "\ufeffBOM", "\u0007bell\u001b[0mesc", "nul\u0000byte", "\u007f\u0080\u009f",
        "soft\u00adhyphen", "\U0001d400\U0001d401 math bold", "\U00010348 gothic", "\ufffd replacement",
        "A" * 60, "9" * 50, "x.y.z.w", "a/b\\c|d", "@mention #hashtag", "~/.config/finetune.toml",
    ],
}

SEPARATORS = [" ", " ", " ", "", "\n", "\n\n", "  ", "\t", ", ", ". ", "\r\n", " \n ", " - ", "\n    "]
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start", "im_end|>"]
CHAR_POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", "  \t\n",
    ".,;:!?'\"()[]{}<>-_/\\@#$%^&*+=~`|", "éèàçüöäßøñ", "你好世界中文字", "ひらがなカタカナ",
    "한국어", "😀👍🏽❤️🇫🇷", "\u0301\u0308", "\u200d", "ΑΒΓαβγ", "абвгд", "٠١٢", "½²",
]


def random_fragment(rng: random.Random, pool: list[str]) -> str:
    kind = rng.random()
    if kind < 0.6:
        return rng.choice(pool)
    if kind < 0.8:
        # A piece of a seed string, cut at a random place (may split words or lines).
        text = rng.choice(pool)
        if len(text) > 2:
            start = rng.randrange(len(text))
            return text[start:start + rng.randint(1, 30)]
        return text
    # Random characters from one or two pools.
    chars = "".join(rng.sample(CHAR_POOLS, rng.randint(1, 2)))
    return "".join(rng.choice(chars) for _ in range(rng.randint(1, 24)))


def build_corpus() -> list[str]:
    corpus: list[str] = []
    for strings in SEEDS.values():
        corpus.extend(strings)
    pool = [s for s in corpus if s]
    rng = random.Random(20240115)
    while len(corpus) < 2200:
        parts = [random_fragment(rng, pool) for _ in range(rng.randint(1, 4))]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(SEPARATORS) + part
        if rng.random() < 0.15:
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(SPECIALS) + text[at:]
        if rng.random() < 0.1:
            text = rng.choice([" ", "  ", "\n", "\t"]) + text
        if rng.random() < 0.1:
            text += rng.choice([" ", "\n", "\n\n", "  "])
        corpus.append(text[:400])
    # Lone surrogates cannot be encoded as UTF-8 (a Swift String cannot hold them either).
    return [text.encode("utf-8", "replace").decode("utf-8") for text in corpus]


# ---------------------------------------------------------------------------------------------
# 2. The reference
# ---------------------------------------------------------------------------------------------

def scalar_lengths(split, text: str) -> list[int]:
    return [end - start for _, (start, end) in split.pre_tokenize_str(text)]


def decode_cases(tokenizer) -> list[list[int]]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    size = len(tokenizer)
    spelling = bytes_to_unicode()
    high_bytes = [spelling[b] for b in range(0x80, 0x100)]
    byte_ids = [tokenizer.convert_tokens_to_ids(c) for c in high_bytes]
    specials = sorted(tokenizer.all_special_ids)
    emoji = tokenizer.encode("😀👍🏽你好", add_special_tokens=False)
    rng = random.Random(7)
    cases = [[], [size], [size, 0], emoji, emoji[:-1], emoji[1:], byte_ids[:8]]
    while len(cases) < 300:
        ids = []
        for _ in range(rng.randint(1, 12)):
            kind = rng.random()
            if kind < 0.45:
                ids.append(rng.choice(byte_ids))
            elif kind < 0.7:
                ids.append(rng.randrange(size))
            elif kind < 0.85:
                ids.append(rng.choice(specials))
            elif kind < 0.95:
                ids.extend(emoji[rng.randrange(len(emoji)):][:rng.randint(1, 3)])
            else:
                ids.append(rng.choice([size, size + 1, 10**6]))
        cases.append(ids)
    return cases


def dump(record) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FINETUNE_TEST_MODEL")
    if not model or not Path(model).is_file():
        sys.exit("usage: make_tokenizer_fixtures.py MODEL.gguf (or set FINETUNE_TEST_MODEL)")
    from tokenizers import Regex, pre_tokenizers
    from transformers import AutoTokenizer

    model = Path(model).resolve()
    tokenizer = AutoTokenizer.from_pretrained(str(model.parent), gguf_file=model.name)
    backend = tokenizer.backend_tokenizer
    print("pre-tokenizer:", backend.pre_tokenizer)
    print("decoder:", backend.decoder, "normalizer:", backend.normalizer)
    assert backend.normalizer is None
    assert str(backend.pre_tokenizer) == "ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)", (
        "transformers changed the pre-tokenizer it builds for this model; update the Swift side")

    corpus = build_corpus()
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "corpus.jsonl", "w", encoding="utf-8") as file:
        for text in corpus:
            file.write(dump({"text": text}) + "\n")

    roundtrip_failures = 0
    with open(OUT / "smollm2-135m-instruct.jsonl", "w", encoding="utf-8") as file:
        for text in corpus:
            ids = tokenizer.encode(text, add_special_tokens=False)
            record = {"ids": ids}
            plain = tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True)
            if plain != ids:
                record["plain_ids"] = plain
            decoded = tokenizer.decode(ids)
            if decoded != text:
                record["decoded"] = decoded
                roundtrip_failures += 1
            skipped = tokenizer.decode(ids, skip_special_tokens=True)
            if skipped != decoded:
                record["decoded_skip"] = skipped
            file.write(dump(record) + "\n")

    with open(OUT / "decode_cases.jsonl", "w", encoding="utf-8") as file:
        for ids in decode_cases(tokenizer):
            file.write(dump({
                "ids": ids,
                "decoded": tokenizer.decode(ids),
                "decoded_skip": tokenizer.decode(ids, skip_special_tokens=True),
            }) + "\n")

    splits = {
        "llama3": pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
        "qwen2": pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
    }
    with open(OUT / "pretokenizer_splits.jsonl", "w", encoding="utf-8") as file:
        for text in corpus:
            file.write(dump({name: scalar_lengths(split, text) for name, split in splits.items()}) + "\n")

    sizes = {path.name: path.stat().st_size for path in OUT.iterdir()}
    print(f"{len(corpus)} strings; decode(encode(s)) != s for {roundtrip_failures}; sizes: {sizes}")


if __name__ == "__main__":
    main()
