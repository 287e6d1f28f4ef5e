"""Reference streams for Base's seeded generators (SplitMix64, xoshiro256**) and their draws, written
independently from the published algorithms (Steele, Lea & Flood 2014; Blackman & Vigna 2018; Lemire 2019;
Box-Muller; Fisher-Yates), and largest-remainder rounding. Output: Fixtures/base/random.json."""
import json, math, os

M = (1 << 64) - 1

def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)

class SplitMix:
    def __init__(self, seed): self.s = seed & M
    def next(self):
        self.s, z = splitmix(self.s); return z

def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M

class Xoshiro:
    def __init__(self, seed):
        sm = SplitMix(seed); self.s = [sm.next() for _ in range(4)]
    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
        return result

def below(g, bound):
    m = g.next() * bound
    low, high = m & M, m >> 64
    if low < bound:
        threshold = ((1 << 64) - bound) % bound
        while low < threshold:
            m = g.next() * bound; low, high = m & M, m >> 64
    return high

def unit(g): return (g.next() >> 11) * 2.0 ** -53

def normal(g):
    u1 = ((g.next() >> 11) + 1) * 2.0 ** -53
    u2 = ((g.next() >> 11) + 1) * 2.0 ** -53
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

def shuffle(g, a):
    a = list(a)
    for i in range(len(a) - 1, 0, -1):
        j = below(g, i + 1); a[i], a[j] = a[j], a[i]
    return a

def largest_remainder(w, total):
    s = sum(w); exact = [total * x / s for x in w]
    q = [math.floor(e) for e in exact]
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - q[i]), i))
    for i in order[: total - sum(q)]: q[i] += 1
    return q

out = {"generators": []}
for kind, cls in (("splitmix64", SplitMix), ("xoshiro256**", Xoshiro)):
    for seed in (0, 1, 42, 0xDEADBEEFCAFEF00D):
        g = cls(seed); raw = [str(g.next()) for _ in range(5)]
        g = cls(seed); bel = [below(g, b) for b in (1, 2, 3, 7, 10, 1000, 2**40 + 3, 2**63 + 11)]
        g = cls(seed); un = [unit(g) for _ in range(5)]
        g = cls(seed); no = [normal(g) for _ in range(5)]
        g = cls(seed); sh = shuffle(g, range(10))
        out["generators"].append({"kind": kind, "seed": str(seed), "next": raw, "below_bounds": [1, 2, 3, 7, 10, 1000, 2**40 + 3, 2**63 + 11],
                                  "below": bel, "unit": un, "normal": no, "shuffle10": sh})
cases = [([1, 1, 1], 10), ([0.5, 0.3, 0.2], 7), ([1, 2, 3, 4], 101), ([0.1] * 6, 5), ([3, 0, 1], 9), ([1e-9, 1, 1], 3)]
out["largest_remainder"] = [{"weights": w, "total": t, "quantities": largest_remainder(w, t)} for w, t in cases]
path = os.path.join(os.path.dirname(__file__), "..", "base", "random.json")
with open(path, "w") as f: json.dump(out, f, indent=1)
print("wrote", path)
