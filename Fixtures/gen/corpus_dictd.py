"""A miniature dictd database written independently of our reader (Python gzip + dictd base-64), for
DictdSource tests: Fixtures/corpus/mini.dict.dz (two concatenated gzip members), mini.index, and
mini_expected.json listing the distinct definitions in file order (metadata entries excluded)."""
import gzip
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(n):
    s = ""
    while True:
        s = B64[n % 64] + s
        n //= 64
        if n == 0:
            return s


entries = [
    ("00-database-info", "This file was converted by a test.\n"),
    ("apple", "apple\n   A {fruit} of the tree Malus.\n   [1913 Webster]\n\n   2. A second sense. [Obs.]\n"),
    ("fruit", "fruit\n   The ripened ovary of a plant; see {apple}.\n   [WordNet 1.5]\n"),
    ("caf\u00e9", "caf\u00e9\n   A small restaurant \u2014 na\u00efve entry with unicode.\n"),
    ("long", "long\n" + "   A long definition line number %d with words.\n" * 1 % 1 + "".join(
        f"   line {i}: {'x' * (i % 50)}\n" for i in range(200))),
]
text = b""
index = []
for head, body in entries:
    data = body.encode("utf-8")
    index.append((head, len(text), len(data)))
    text += data
index.append(("pomme", index[1][1], index[1][2]))  # second headword for the same definition
index.sort(key=lambda e: e[0])
half = len(text) // 2
with open(os.path.join(OUT, "mini.dict.dz"), "wb") as f:
    f.write(gzip.compress(text[:half], mtime=0) + gzip.compress(text[half:], mtime=0))
with open(os.path.join(OUT, "mini.index"), "w", encoding="utf-8") as f:
    for head, off, ln in index:
        f.write(f"{head}\t{b64(off)}\t{b64(ln)}\n")
expected = [body for head, body in entries if not head.startswith("00-database")]
with open(os.path.join(OUT, "mini_expected.json"), "w", encoding="utf-8") as f:
    json.dump({"definitions": expected, "text_length": len(text)}, f, ensure_ascii=False, indent=1)
    f.write("\n")
