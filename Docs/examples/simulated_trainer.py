#!/usr/bin/env python3
"""A simulated trainer for `autoscale ddo run --trainer-command`: validation losses from a known law.

    simulated_trainer.py WORLD [--worlds Fixtures/ddo/worlds.json]

reads ONE JSON object on stdin, {"id": "...", "tokens": {"d1": n1, ...}, "seed": S, "out": "DIR"}, and prints as
its last stdout line {"losses": {"d1": l1, ...}} (nats per token), where for validation domain j

    L_j = (E_j + A_j * max(sum_i T_ji N_i / unit, 1 / unit)^(-alpha_j)) * (1 + noise * z_j)

with the world's parameters from worlds.json (Fixtures/gen/ddo_worlds.py) and z_j a standard normal fixed
by (seed, id, domain): FNV-1a 64 of "<seed>/<id>/<domain>" seeds SplitMix64, two 53-bit uniforms go through
Box-Muller. Reruns give identical losses. The Swift closure SimulatedWorlds.World.train(tokens:id:seed:unit:)
in Tests/DataMixingTests is the same function (the fixture's trainer_samples check it). Standard library only.
"""
import json, math, os, sys

MASK = (1 << 64) - 1


def gaussian(seed, rid, domain):
    h = 0xCBF29CE484222325
    for b in f"{seed}/{rid}/{domain}".encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    draws = []
    for _ in range(2):
        h = (h + 0x9E3779B97F4A7C15) & MASK
        z = h
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        draws.append(((z ^ (z >> 31)) >> 11) * 2.0 ** -53)
    return math.sqrt(-2 * math.log(1 - draws[0])) * math.cos(2 * math.pi * draws[1])


def respond(world, unit, request):
    names = world["domains"]
    missing = [d for d in names if d not in request["tokens"]]
    if missing:
        raise SystemExit(f"simulated_trainer: field \"tokens\" has no entry for domain {missing[0]}")
    n = [float(request["tokens"][d]) for d in names]
    losses = {}
    for j, d in enumerate(names):
        # At least one token's worth: a domain with no tokens and no transfer into it gets a huge finite loss
        # (a real model's loss there is finite too), not a division by zero.
        eff = max(sum(world["T"][j][i] * n[i] / unit for i in range(len(names))), 1 / unit)
        loss = world["E"][j] + world["A"][j] * eff ** (-world["alpha"][j])
        if world["noise"]:
            loss *= 1 + world["noise"] * gaussian(request["seed"], request["id"], d)
        losses[d] = loss
    return {"losses": losses}


def main(argv):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures", "ddo", "worlds.json")
    if "--worlds" in argv:
        k = argv.index("--worlds"); path = argv[k + 1]; argv = argv[:k] + argv[k + 2:]
    if len(argv) != 1:
        raise SystemExit("usage: simulated_trainer.py WORLD [--worlds worlds.json]")
    spec = json.load(open(path))
    worlds = {w["name"]: w for w in spec["worlds"]}
    if argv[0] not in worlds:
        raise SystemExit(f"simulated_trainer: no world {argv[0]} in {path} (it has {', '.join(worlds)})")
    request = json.loads(sys.stdin.read())
    print(json.dumps(respond(worlds[argv[0]], spec["unit"], request)))


if __name__ == "__main__":
    main(sys.argv[1:])
