#!/usr/bin/env python3
"""Large scaling-law tables for Fixtures/bench/21-scaling-rows.sh (standard library only, seeded).

    python3 Fixtures/gen/scaling_rows.py ROWS OUT.csv [SEED]

Writes ROWS rows `run,n,d,flops,loss`: each row picks one of 8 FLOP budgets (1e18 .. 1e21, log-spaced)
and one of 12 model sizes spread over a decade around that budget's Chinchilla-optimal N (so every
budget has an isoFLOP profile); D = C / (6 N); the loss is Epoch AI's Chinchilla fit
(E 1.8172, A 482.01, B 2085.43, alpha 0.3478, beta 0.3658) times exp(0.01 z), z standard normal.
The run id is the (budget, size) pair: rows of one run repeat its N and D, as logged evaluations do.
"""
import math
import random
import sys

E, A, B, ALPHA, BETA = 1.8172, 482.01, 2085.43, 0.3478, 0.3658


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20)
    budgets = [10 ** (18 + 3 * j / 7) for j in range(8)]
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    sizes = []
    for c in budgets:
        n_opt = g * (c / 6) ** (BETA / (ALPHA + BETA))
        sizes.append([n_opt * 10 ** (-0.5 + k / 11) for k in range(12)])
    with open(out, "w") as f:
        f.write("run,n,d,flops,loss\n")
        for _ in range(rows):
            j, k = rng.randrange(8), rng.randrange(12)
            c, n = budgets[j], sizes[j][k]
            d = c / (6 * n)
            loss = (E + A / n ** ALPHA + B / d ** BETA) * math.exp(0.01 * rng.gauss(0, 1))
            f.write("r%d_%d,%.17g,%.17g,%.17g,%.17g\n" % (j, k, n, d, c, loss))


if __name__ == "__main__":
    main()
