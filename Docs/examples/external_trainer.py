#!/usr/bin/env python3
"""A worked example of an external trainer for `autoscale ddo run --trainer-command` and the pipeline's
`trainer: {command: ...}` (Docs/autoscale.md, "Any trainer").

The protocol, which is fixed:
  * stdin: ONE JSON object {"id": "...", "out": "DIR/runs/<id>", "seed": S, "tokens": {"d1": n1, ...}}
    (tokens are predicted tokens per domain; `out` exists and is yours to use);
  * stdout: anything, but the LAST line must be {"losses": {"d1": l1, ...}}: the validation loss of every
    domain, nats per token, finite and >= 0;
  * stderr: passes through (with --quiet it is kept in out/stderr.log);
  * exit status 0; anything else marks the run failed (it is not cached, the others are kept).

This example really trains something, with the standard library only: a byte-level unigram language model
with add-one smoothing, fitted on the first n_d bytes of each domain's training text, evaluated on each
domain's validation text. Replace `train_and_evaluate` with your own trainer (torchrun, a GPU job, ...).

Data: AUTOSCALE_EXAMPLE_DATA=DIR with DIR/<domain>/train.txt and DIR/<domain>/val.txt.
Try it:
    autoscale ddo run --domains web,code --tokens 200k --out out/ext \
        --trainer-command 'AUTOSCALE_EXAMPLE_DATA=data python3 Docs/examples/external_trainer.py'
"""
import json
import math
import os
import sys


def read_bytes(path, limit=None):
    with open(path, "rb") as f:
        return f.read() if limit is None else f.read(limit)


def train_and_evaluate(spec, data_dir):
    counts = [1] * 256  # add-one smoothing
    for domain, n in sorted(spec["tokens"].items()):
        text = read_bytes(os.path.join(data_dir, domain, "train.txt"))
        if not text:
            raise SystemExit(f"{domain}: empty training text")
        # n tokens of the domain: repeat the text if it is shorter (epochs), as a real trainer would.
        reps, rest = divmod(n, len(text))
        for b in text * reps + text[:rest]:
            counts[b] += 1
    total = sum(counts)
    losses = {}
    for domain in spec["tokens"]:
        val = read_bytes(os.path.join(data_dir, domain, "val.txt"), limit=1 << 16)
        losses[domain] = -sum(math.log(counts[b] / total) for b in val) / max(1, len(val))
    return losses


def main():
    spec = json.loads(sys.stdin.readline())
    data_dir = os.environ.get("AUTOSCALE_EXAMPLE_DATA", "data")
    print(f"external trainer: run {spec['id']} on {sum(spec['tokens'].values())} tokens", file=sys.stderr)
    losses = train_and_evaluate(spec, data_dir)
    with open(os.path.join(spec["out"], "losses.json"), "w") as f:  # the run folder is ours to use
        json.dump(losses, f)
    print(json.dumps({"losses": losses}))


if __name__ == "__main__":
    main()
