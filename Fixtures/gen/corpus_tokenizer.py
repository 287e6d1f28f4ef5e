"""Reference token ids for the byte-level BPE tokenizer, produced by Hugging Face `tokenizers`.

Inputs (committed):
  Fixtures/corpus/tokenizer.json       OUR tokenizer, written by
      autoscale corpus build --out /tmp/corpus
      autoscale tokenizer train --corpus /tmp/corpus --vocab-size 4096 --out Fixtures/corpus/tokenizer.json
  Fixtures/corpus/tokenizer_bert.json  OUR tokenizer with BERT specials, written by
      autoscale tokenizer train --corpus /tmp/corpus --vocab-size 1024 --sample-mb 6 --bert --out Fixtures/corpus/tokenizer_bert.json
  Fixtures/corpus/samples.json         texts: the first documents of every domain's validation split of
      that corpus (refresh with `python corpus_tokenizer.py --corpus /tmp/corpus`) plus edge cases defined here.

Also Fixtures/corpus/hf_trained_tokenizer.json: a tokenizer trained and saved by HF itself on the domain
samples (our loader must read files we did not write).

Output: Fixtures/corpus/hf_ids.json with, per tokenizer and sample, the ids of
`Tokenizer.from_file(path).encode(text).ids` and `decode(ids, skip_special_tokens=False)`.
Samples given as raw bytes (invalid UTF-8) are decoded with errors="replace" first, as our encoder does.
"""
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers, __version__ as tokenizers_version

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "corpus")

EDGE_TEXTS = {
    "empty": "",
    "contractions": "It's a test. We'll see: they're, I've, I'm, he'd, don't. IT'S DON'T 'S 'Tis",
    "quotes_runs": "'''s ''s 's's ''' \"\" '' `x` -- ... !!! ??",
    "spaces": "  leading, trailing   \nmiddle  two   three    four",
    "whitespace_runs": "tabs\t\tand\nnewlines\n\n\nx\r\nwindows\r\n \n \n   end   ",
    "only_spaces": "     ",
    "only_newlines": "\n\n\n",
    "long_space_run": "a" + " " * 100 + "b" + "\n" * 50 + "c",
    "unicode_spaces": "nbsp\u00a0x em\u2003y ideo\u3000z thin\u2009w \u2028line\u2029para\u0085nel \u200bzw",
    "latin": "naïve café résumé — “quotes” ‘single’ Ångström Øre ß ﬁ ligature",
    "cjk": "日本語のテキスト、中文字符。한국어 문장입니다.",
    "scripts": "Ελληνικά Русский язык עברית العربية हिन्दी ไทย",
    "emoji": "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷 keycap 1️⃣ ♥️",
    "combining": "e\u0301 a\u0308 n\u0303 Z\u0336\u0335",
    "numbers": "1234567890 3.14159 1e-10 0x1F ①②③ ½ ¾ ٣٤ ६७ Ⅻ 2²",
    "special_in_text": "before<|endoftext|>after <|endoftext|> spaced<|endoftext|><|endoftext|>\n<|endof",
    "code": "def f(x):\n    return {'a': [1, 2], \"b\": x ** 2}  # comment\n\n\tif x != 0:\n\t\tpass\n",
    "long_digits": "9" * 300,
    "long_word": "pneumonoultramicroscopicsilicovolcanoconiosis" * 5,
    "latin1_range": "".join(chr(c) for c in range(256)),
    "controls": "a\x00b\x01c\x1fd\x7fe\tf\x0bg\x0ch",
    "bert_like": "[CLS] hello [SEP] world [MASK] [PAD][PAD] [UNK] [cls]",
}

INVALID_BYTES = {
    "invalid_continuation": [0x66, 0x6F, 0x80, 0x6F],
    "truncated_3byte": [0x61, 0xE2, 0x82, 0x20, 0x62],
    "overlong": [0xC0, 0xAF, 0x41],
    "surrogate": [0xED, 0xA0, 0x80, 0x42],
    "ff_fe": [0xFF, 0xFE, 0x20, 0x63, 0xFF],
    "truncated_4byte_end": [0x64, 0xF0, 0x9F, 0x98],
    "mixed": list("ok ".encode()) + [0xF8, 0x88, 0x80, 0x80, 0x80] + list(" café ".encode()) + [0xE9, 0x74, 0xE9],
}


def domain_samples(corpus):
    out = {}
    manifest = json.load(open(os.path.join(corpus, "corpus.json")))
    for d in manifest["domains"]:
        docs = open(os.path.join(corpus, d["name"], "val.txt"), "rb").read().split(b"\0")
        for i, doc in enumerate(docs[:4]):
            out[f"{d['name']}_{i}"] = doc.decode("utf-8")[:1500]
    return out


def main():
    samples_path = os.path.join(OUT, "samples.json")
    if "--corpus" in sys.argv:
        corpus = sys.argv[sys.argv.index("--corpus") + 1]
        domains = domain_samples(corpus)
    else:
        domains = json.load(open(samples_path))["domains"]
    samples = {"domains": domains, "edge": EDGE_TEXTS, "invalid_utf8": INVALID_BYTES}
    with open(samples_path, "w", encoding="utf-8") as f:
        json.dump(samples, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")

    texts = {}
    texts.update({"domain/" + k: v for k, v in domains.items()})
    texts.update({"edge/" + k: v for k, v in EDGE_TEXTS.items()})
    texts.update({"invalid/" + k: bytes(v).decode("utf-8", errors="replace") for k, v in INVALID_BYTES.items()})

    # A tokenizer written by HF itself (its trainer, its id order, its JSON layout), to check our loader
    # on files we did not write.
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>", "[MASK]"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    hf.train_from_iterator([domains[k] for k in sorted(domains)], trainer=trainer)
    hf.save(os.path.join(OUT, "hf_trained_tokenizer.json"))

    result = {"tokenizers_version": tokenizers_version, "tokenizers": {}}
    for name in ["tokenizer.json", "tokenizer_bert.json", "hf_trained_tokenizer.json"]:
        tok = Tokenizer.from_file(os.path.join(OUT, name))
        per = {}
        for key, text in sorted(texts.items()):
            ids = tok.encode(text).ids
            per[key] = {"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False), "text": text}
        result["tokenizers"][name] = per
    with open(os.path.join(OUT, "hf_ids.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(texts)} samples x 3 tokenizers", file=sys.stderr)


if __name__ == "__main__":
    main()
