#!/usr/bin/env bash
# Byte-level BPE speed, ours vs Hugging Face `tokenizers` on the same text in the same run, one thread each:
#  - encoding throughput (MB/s of UTF-8 text; ours = `tokenizer encode --throughput`, the encode call only;
#    HF = Tokenizer.encode over the same text in ~1 KB line-aligned chunks (HF's fastest of 1 KB...1 MB; one big string is
#    slower still),
#  - training time for a 4096-token vocabulary on the same balanced sample (`--sample-mb 100`: ~52 MB of the default corpus).
# Text: the default corpus when its Debian packages are installed (`make data`), else the synthetic domains.
set -euo pipefail
BIN=${BIN:-.build/release/autoscale}
PY=${PY:-Fixtures/.venv/bin/python}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1

if [ -e /usr/share/dictd/gcide.dict.dz ] && [ -e /var/lib/dpkg/info/manpages-dev.list ]; then
  what="default corpus"
  "$BIN" corpus build --out "$TMP/c" --quiet >/dev/null
else
  what="synthetic corpus (run make data for the real one)"
  "$BIN" corpus build --out "$TMP/c" --synthetic --synthetic-bytes 10000000 --quiet >/dev/null
fi
train_json=$("$BIN" tokenizer train --corpus "$TMP/c" --vocab-size 4096 --sample-mb 100 --out "$TMP/tok.json" --json --quiet)
ours_train=$(echo "$train_json" | sed -E 's/.*"seconds": ([0-9.]+).*/\1/')
train_mb=$(echo "$train_json" | sed -E 's/.*"bytes": ([0-9]+).*/\1/' | awk '{printf "%.1f", $1/1e6}')
{ cat "$TMP"/c/*/train.txt | tr '\0' '\n' | head -c 24000000 > "$TMP/text.txt"; } || true  # head closes the pipe early
enc_json=$("$BIN" tokenizer encode --tokenizer "$TMP/tok.json" --throughput < "$TMP/text.txt")
ours_enc=$(echo "$enc_json" | sed -E 's/.*"mb_per_second": ([0-9.]+).*/\1/')
echo "tokenizer ($what): ours encode ${ours_enc} MB/s, train ${ours_train} s on ${train_mb} MB"

if [ ! -x "$PY" ]; then
  echo "tokenizer: reference skipped ($PY not found; run make fixtures to create the venv)"
  exit 0
fi
"$PY" - "$TMP" "$ours_enc" "$ours_train" <<'PYEOF'
import json, os, sys, time
from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders
tmp, ours_enc, ours_train = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
tok = Tokenizer.from_file(os.path.join(tmp, "tok.json"))
text = open(os.path.join(tmp, "text.txt"), encoding="utf-8", errors="replace").read()
chunks, start = [], 0
while start < len(text):
    end = text.find("\n", start + 1024)
    end = len(text) if end < 0 else end + 1
    chunks.append(text[start:end]); start = end
nbytes = len(text.encode("utf-8"))
t0 = time.perf_counter()
for c in chunks:
    tok.encode(c)
hf_enc = nbytes / 1e6 / (time.perf_counter() - t0)

# The same balanced sample our trainer used: per domain, train documents until 100 MB / #domains.
manifest = json.load(open(os.path.join(tmp, "c", "corpus.json")))
budget = int(100e6) // len(manifest["domains"])
docs = []
for d in manifest["domains"]:
    used = 0
    for doc in open(os.path.join(tmp, "c", d["name"], "train.txt"), "rb").read().split(b"\0"):
        if not doc:
            continue
        docs.append(doc.decode("utf-8")); used += len(doc)
        if used >= budget:
            break
bpe = Tokenizer(models.BPE())
bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bpe.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=4096, special_tokens=["<|endoftext|>"], show_progress=False,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
t0 = time.perf_counter()
bpe.train_from_iterator(docs, trainer=trainer)
hf_train = time.perf_counter() - t0
print(f"tokenizer: HF tokenizers encode {hf_enc:.2f} MB/s, ratio ours/HF {ours_enc / hf_enc:.2f}")
print(f"tokenizer: HF tokenizers train {hf_train:.1f} s, ratio ours/HF time {ours_train / hf_train:.2f}")
PYEOF
