"""transformers 5 on a model folder `autoscale train` wrote (Fixtures/hf/gpt2-tiny; issue 18).

The folder is `OUT/model/` of (from the repository, with the release binary built):
  B=.build/release/autoscale; T=$(mktemp -d)
  $B corpus build --out $T/corpus --synthetic --synthetic-bytes 150000 --val-bytes 30000 --quiet
  $B tokenizer train --corpus $T/corpus --vocab-size 300 --out $T/tok.json --quiet
  $B corpus tokenize --corpus $T/corpus --tokenizer $T/tok.json --min-val-tokens 1000 --quiet
  $B train --corpus $T/corpus --config Fixtures/hf/gpt2-tiny.yaml --tokens 20k --threads 1 --out $T/run --quiet
  cp -r $T/run/model/. Fixtures/hf/gpt2-tiny/
(`python hf_folder.py --write-folder` runs exactly these commands first.)

Checks, each an assertion (the script fails when one does not hold):
  - `AutoTokenizer.from_pretrained(dir)` loads it as a fast tokenizer with `<|endoftext|>` as bos/eos/unk/pad
    token, the ids config.json names, and `model_max_length` = n_positions;
  - it encodes every text of TEXTS ("hello world" first) to the ids the `tokenizers` library gives for the bare
    tokenizer.json (so the config adds no token), and decodes them back to the text;
  - `pipeline("text-generation", model=dir)` runs batched on the 2 PROMPTS (greedy, 6 new tokens), and each
    batched continuation equals the prompt's continuation alone (left padding does not change it).
Writes Fixtures/hf/gpt2-tiny-expected.json: the texts and their ids, the token ids and model_max_length
transformers read, its tokenizer class, the prompts and their generated ids. The Swift test
`transformersReadsTheCommittedTrainFolderAsWeDo` checks that our tokenizer gives the same ids, without Python.
"""
import json, os, re, subprocess, sys, tempfile, shutil
import torch
import transformers
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
ROOT = os.path.join(REPO, "Fixtures", "hf")
FOLDER = os.path.join(ROOT, "gpt2-tiny")
TEXTS = ["hello world", "Hello, World! 3.14 + 2 = 5.14", "<|endoftext|>hello<|endoftext|>", "naïve café — ünïcode ✓",
         "  two  spaces\tand\nlines\n"]
PROMPTS = ["hello world", "The manual says"]


def write_folder():
    binary = os.path.join(REPO, ".build", "release", "autoscale")
    t = tempfile.mkdtemp()
    try:
        for args in [["corpus", "build", "--out", f"{t}/corpus", "--synthetic", "--synthetic-bytes", "150000",
                      "--val-bytes", "30000"],
                     ["tokenizer", "train", "--corpus", f"{t}/corpus", "--vocab-size", "300", "--out", f"{t}/tok.json"],
                     ["corpus", "tokenize", "--corpus", f"{t}/corpus", "--tokenizer", f"{t}/tok.json",
                      "--min-val-tokens", "1000"],
                     ["train", "--corpus", f"{t}/corpus", "--config", os.path.join(ROOT, "gpt2-tiny.yaml"),
                      "--tokens", "20k", "--threads", "1", "--out", f"{t}/run"]]:
            subprocess.run([binary] + args + ["--quiet"], check=True, cwd=REPO)
        shutil.rmtree(FOLDER, ignore_errors=True)
        shutil.copytree(f"{t}/run/model", FOLDER)
    finally:
        shutil.rmtree(t)


def main():
    if "--write-folder" in sys.argv:
        write_folder()
    assert transformers.__version__.split(".")[0] == "5", transformers.__version__
    config = json.load(open(os.path.join(FOLDER, "config.json")))
    eot = config["eos_token_id"]
    tok = AutoTokenizer.from_pretrained(FOLDER)
    assert tok.is_fast, type(tok)
    for role in ["bos_token", "eos_token", "unk_token", "pad_token"]:
        assert getattr(tok, role) == "<|endoftext|>", (role, getattr(tok, role))
    assert tok.bos_token_id == tok.eos_token_id == tok.pad_token_id == eot == config["bos_token_id"] == config["pad_token_id"]
    assert tok.model_max_length == config["n_positions"], tok.model_max_length
    raw = Tokenizer.from_file(os.path.join(FOLDER, "tokenizer.json"))
    ids = []
    for text in TEXTS:
        got = tok(text)["input_ids"]
        assert got == raw.encode(text).ids, (text, got, raw.encode(text).ids)
        assert tok.decode(got) == text, (text, tok.decode(got))
        ids.append(got)

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(FOLDER)
    assert model.generation_config.pad_token_id == eot and model.generation_config.eos_token_id == eot
    gen = pipeline("text-generation", model=FOLDER, device="cpu")
    assert gen.tokenizer.padding_side == "left"
    args = dict(max_new_tokens=6, do_sample=False, return_tensors=True)
    batched = gen(PROMPTS, batch_size=2, **args)
    generated = []
    for prompt, out in zip(PROMPTS, batched):
        full = out[0]["generated_token_ids"]
        full = full.tolist() if hasattr(full, "tolist") else list(full)
        alone = gen(prompt, **args)[0]["generated_token_ids"]
        alone = alone.tolist() if hasattr(alone, "tolist") else list(alone)
        assert full == alone, (prompt, full, alone)
        prompt_ids = tok(prompt)["input_ids"]
        assert full[:len(prompt_ids)] == prompt_ids and len(full) > len(prompt_ids), (prompt, full)
        generated.append(full[len(prompt_ids):])

    expected = {
        "transformers_version": transformers.__version__,
        "texts": TEXTS, "ids": ids,
        "bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id,
        "model_max_length": tok.model_max_length, "tokenizer_class": type(tok).__name__,
        "prompts": PROMPTS, "generated": generated,
    }
    text = json.dumps(expected, indent=2, ensure_ascii=False)
    text = re.sub(r"\[\s*([0-9,\s]*?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split(",\n")).replace(" ", "").replace(",", ", ") + "]", text)
    with open(os.path.join(ROOT, "gpt2-tiny-expected.json"), "w") as f:
        f.write(text + "\n")
    print("hf_folder: ok", {k: expected[k] for k in ["tokenizer_class", "model_max_length", "eos_token_id"]},
          "generated", generated)


if __name__ == "__main__":
    main()
