"""A BERT proxy trained by `autoscale train`, checked in transformers (Fixtures/proxies/bert/).

The model folder comes from our binary (run from the repository root, into a scratch folder S):
  autoscale corpus build --out S/corpus --synthetic --synthetic-bytes 150000 --val-bytes 30000
  autoscale tokenizer train --corpus S/corpus --vocab-size 300 --out S/tok.json --bert
  autoscale corpus tokenize --corpus S/corpus --tokenizer S/tok.json --min-val-tokens 1000
  autoscale train --corpus S/corpus --config Fixtures/proxies/bert/proxy.yaml --tokens 24k --threads 1 --out S/bert
  Fixtures/.venv/bin/python Fixtures/gen/proxies_bert.py S/bert/model S/tok.json
(Tests/EndToEndTests/BertProxyCLITests.swift runs the same commands and compares the weights with these.)

This script copies the folder's config.json and model.safetensors to Fixtures/proxies/bert/model/, loads it with
`BertForMaskedLM.from_pretrained(..., output_loading_info=True)` and writes
  batch.json      three rows in BERT form ([CLS] ... [SEP], then [PAD] with attention mask 0 for the two short
                  windows), token types 0 but the first row's second half (1), labels on ~15% of the text tokens
  expected.json   {"loss": transformers' masked-LM loss in float64 on the float32 weights (eval mode),
                   "missing_keys", "unexpected_keys", "mismatched_keys" (from_pretrained's loading info),
                   "pad_token_id" (the tokenizer's [PAD]), "transformers": version}
"""
import json, os, shutil, sys
import numpy as np
import torch
import transformers
from transformers import BertForMaskedLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proxies", "bert")


def main(model_dir, tokenizer_file):
    out = os.path.join(ROOT, "model")
    os.makedirs(out, exist_ok=True)
    for f in ["config.json", "model.safetensors"]:
        shutil.copyfile(os.path.join(model_dir, f), os.path.join(out, f))
    added = {t["content"]: t["id"] for t in json.load(open(tokenizer_file))["added_tokens"]}
    pad, cls, sep = added["[PAD]"], added["[CLS]"], added["[SEP]"]
    specials = set(added.values())

    model, info = BertForMaskedLM.from_pretrained(out, output_loading_info=True)
    model = model.double().eval()
    cfg = model.config
    assert cfg.pad_token_id == pad, (cfg.pad_token_id, pad)
    T, V = cfg.max_position_embeddings, cfg.vocab_size
    rng = np.random.default_rng(15)
    ordinary = np.array([i for i in range(V) if i not in specials])
    ids, mask, types, labels = [], [], [], []
    for n in [T - 2, 20, 9]:
        text = list(rng.choice(ordinary, size=n))
        row = [cls] + text + [sep] + [pad] * (T - 2 - n)
        m = [1] * (n + 2) + [0] * (T - 2 - n)
        tt = [0] * T
        lab = [-100] * T
        for j in range(1, n + 1):
            if rng.random() < 0.15:
                lab[j] = row[j]
                row[j] = added["[MASK]"] if rng.random() < 0.8 else row[j]
        if n == T - 2:
            tt = [0] * (T // 2) + [1] * (T - T // 2)
        if all(v == -100 for v in lab):
            lab[1] = row[1]
        ids.append([int(v) for v in row]); mask.append(m); types.append(tt); labels.append([int(v) for v in lab])
    batch = {"input_ids": ids, "labels": labels, "attention_mask": mask, "token_type_ids": types}
    with torch.no_grad():
        loss = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                     token_type_ids=torch.tensor(types), labels=torch.tensor(labels)).loss.item()
    json.dump(batch, open(os.path.join(ROOT, "batch.json"), "w"))
    expected = {"loss": loss, "missing_keys": sorted(info["missing_keys"]),
                "unexpected_keys": sorted(info["unexpected_keys"]),
                "mismatched_keys": sorted(str(k) for k in info["mismatched_keys"]),
                "pad_token_id": pad, "transformers": transformers.__version__}
    json.dump(expected, open(os.path.join(ROOT, "expected.json"), "w"), indent=1)
    print(json.dumps(expected))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
