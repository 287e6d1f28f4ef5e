#!/usr/bin/env python3
"""The head-to-head experiment of Docs/experiments.md on the simulated worlds (`make experiment`; not in CI).

    python3 Docs/examples/experiment/run.py BIN [--out out/experiment]

For each world of Fixtures/ddo/worlds.json (separable, transfer, noisy) and each arm it writes a pipeline config
(trainer: Docs/examples/simulated_trainer.py WORLD; DDO at 25M, 50M, 100M; target 1.6B; mean-loss; validation
seeds 1, 2, 3), runs `BIN pipeline CONFIG --quiet`, and reads its report.json:

- arm `reuse`: dml, bimix, olmix fit the 2m+1 DDO runs at 100M (no proxy tokens of their own); regmix trains its
  default max(2m+1, m(m+1)/2+1) random runs at 100M;
- arm `equal`: every fitted method trains its own K random runs at 100M, K = round(AutoScale's DDO tokens / 100M),
  so each spends about the proxy tokens AutoScale's three DDO budgets spend.

For every method it prints the validation objective (mean over seeds), the paired differences against uniform and
AutoScale with their 95% t-intervals (from the report), and the regret at the target: the world's noiseless
objective of the mixture trained minus the true optimum's (worlds.json, optima at 1.6B). Standard library only.
"""
import json, math, os, subprocess, sys, time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def main(argv):
    if not argv:
        raise SystemExit("usage: run.py BIN [--out DIR]")
    binary, out = argv[0], "out/experiment"
    if "--out" in argv:
        out = argv[argv.index("--out") + 1]
    spec = json.load(open(os.path.join(ROOT, "Fixtures", "ddo", "worlds.json")))
    unit = spec["unit"]
    os.makedirs(out, exist_ok=True)
    lines = []
    for world in spec["worlds"]:
        names, m = world["domains"], len(world["domains"])
        # AutoScale's DDO tokens as planned: per budget, the base run and each domain x1/3 and x3.
        ddo = sum(b * (1 + 2 * m) + b / m * m * (1 / 3 - 1) + b / m * m * (3 - 1) for b in (25e6, 50e6, 100e6))
        k = round(ddo / 100e6)
        optimum = world["optima"][-1]
        for arm in ("reuse", "equal"):
            if arm == "reuse":
                methods = "[autoscale, ddo, uniform, dml, bimix, olmix, regmix]"
            else:
                methods = "[autoscale, ddo, uniform" + "".join(f", {{name: {n}, runs: {k}}}" for n in ("dml", "bimix", "olmix", "regmix")) + "]"
            name = f"{world['name']}-{arm}"
            config = os.path.join(out, name + ".yaml")
            with open(config, "w") as f:
                f.write(f"out: {os.path.join(out, name)}\n"
                        f"trainer: {{command: 'python3 Docs/examples/simulated_trainer.py {world['name']}'}}\n"
                        f"domains: [{', '.join(names)}]\nbudgets: [25M, 50M, 100M]\ntarget: 1.6B\nobjective: mean-loss\n"
                        f"validation: {{seeds: [1, 2, 3]}}\nmethods: {methods}\n")
            start = time.time()
            subprocess.run([binary, "pipeline", config, "--quiet"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            seconds = time.time() - start
            report = json.load(open(os.path.join(out, name, "report.json")))
            mixtures = {x["name"]: x for x in report["validation"]["mixtures"]}
            by = {x["method"]: x for x in report["methods"]}
            lines.append(f"\n### {name} (noise {world['noise']}, {m} domains; pipeline {seconds:.0f} s; "
                         f"true optimum {optimum['objective']:.5f}, uniform {optimum['uniform_objective']:.5f})\n")
            lines.append("| rank | method | weights (" + ", ".join(names) + ") | objective | vs uniform [95%] | "
                         "vs autoscale [95%] | regret | proxy runs | proxy tokens |")
            lines.append("|---|---|---|---|---|---|---|---|---|")
            for r in report["ranking"]:
                e = by[r["method"]]
                tokens = mixtures[r["mixture"]]["tokens"]
                n = [float(tokens[d]) for d in names]
                losses = [world["E"][j] + world["A"][j] * max(sum(world["T"][j][i] * n[i] / unit for i in range(m)), 1 / unit) ** (-world["alpha"][j])
                          for j in range(m)]
                regret = sum(losses) / m - optimum["objective"]

                def pair(p):
                    if p is None:
                        return "-"
                    if p.get("lower") is None:
                        return f"{p['mean']:+.5f}"
                    star = "" if p["inside_noise"] else " *"
                    return f"{p['mean']:+.5f} [{p['lower']:+.5f}, {p['upper']:+.5f}]{star}"
                lines.append(f"| {r['rank']} | {r['method']} | " + " ".join(f"{e['weights'][d]:.3f}" for d in names)
                             + f" | {r['mean_objective']:.5f} | {pair(r.get('vs_uniform'))} | {pair(r.get('vs_autoscale'))} | "
                             f"{regret:.5f} | {e['proxy_runs']}{' (DDO)' if e['reuses_ddo_runs'] else ''} | {e['proxy_tokens'] / 1e6:.0f}M |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
