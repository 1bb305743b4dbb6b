"""Statistical tests of nbgrad's random draws: each distribution against its law,
chi-square for discrete draws and Kolmogorov-Smirnov for continuous ones, with
p-values computed here from the math (no SciPy).

    python asv_benchmarks/random_stats.py              # 10**6 draws per test
    python asv_benchmarks/random_stats.py -n 100000 --device cuda

Each line prints the test, its statistic and p-value; the script exits 1 if a
p-value is at most 1e-3.  tests/test_random.py runs the same checks on fewer
draws.  The asv suite times a few draws (`RandomDraws`).
"""

import argparse
import math
import os
import sys

import numpy as np

if __package__ in (None, ""):   # run as a script: the repository on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgrad as nb  # noqa: E402

THRESHOLD = 1e-3


# -- p-values --------------------------------------------------------------------------------
def _gamma_series(a, x):
    """The regularized lower incomplete gamma P(a, x) by its series (x < a + 1)."""
    term = total = 1.0 / a
    k = a
    for _ in range(10000):
        k += 1.0
        term *= x / k
        total += term
        if abs(term) < abs(total) * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_fraction(a, x):
    """The regularized upper incomplete gamma Q(a, x) by Lentz's continued fraction."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_sf(stat, dof):
    """P(X >= stat) for X chi-square with `dof` degrees of freedom."""
    a, x = dof / 2.0, stat / 2.0
    if x <= 0:
        return 1.0
    return 1.0 - _gamma_series(a, x) if x < a + 1.0 else _gamma_fraction(a, x)


def ks_sf(d, n):
    """P(D_n >= d) for the Kolmogorov-Smirnov statistic of n draws (the asymptotic
    law with Stephens' small-sample correction)."""
    en = math.sqrt(n)
    lam = (en + 0.12 + 0.11 / en) * d
    if lam < 0.2:
        return 1.0
    total = 0.0
    for k in range(1, 200):
        term = 2.0 * (-1) ** (k - 1) * math.exp(-2.0 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-16:
            break
    return min(1.0, max(0.0, total))


# -- statistics --------------------------------------------------------------------------------
def ks(samples, cdf):
    """(D, p) of `samples` against the continuous distribution function `cdf`."""
    x = np.sort(np.asarray(samples, dtype=np.float64).ravel())
    n = x.size
    f = cdf(x)
    d = max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))
    return float(d), ks_sf(float(d), n)


def chi2(counts, probs, min_expected=5.0):
    """(statistic, p) of observed `counts` against class probabilities `probs`;
    classes expecting fewer than `min_expected` are pooled with their neighbour."""
    counts = np.asarray(counts, dtype=np.float64)
    expected = np.asarray(probs, dtype=np.float64) * counts.sum()
    obs, exp_, o, e = [], [], 0.0, 0.0
    for c, x in zip(counts, expected):
        o, e = o + c, e + x
        if e >= min_expected:
            obs.append(o)
            exp_.append(e)
            o, e = 0.0, 0.0
    if e > 0 and exp_:
        obs[-1] += o
        exp_[-1] += e
    obs, exp_ = np.array(obs), np.array(exp_)
    stat = float(((obs - exp_) ** 2 / exp_).sum())
    return stat, chi2_sf(stat, len(obs) - 1)


def _counts(values, k):
    return np.bincount(np.asarray(values, dtype=np.int64).ravel(), minlength=k)[:k]


def _tail(values, probs, first=0):
    """chi2 of integer draws `values` (from `first` up) against `probs` of the values
    first, first + 1, ...; the last class also takes every larger value."""
    k = len(probs)
    v = np.minimum(np.asarray(values, dtype=np.int64).ravel() - first, k - 1)
    p = np.append(probs[:-1], 1.0 - np.sum(probs[:-1]))
    return chi2(_counts(v, k), p)


_ERF = np.vectorize(math.erf)


def _phi(x):
    return 0.5 * (1.0 + _ERF(x / math.sqrt(2.0)))


def _poisson_probs(lam, k):
    return np.array([math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k)])


# -- the checks: name -> fn(n, generator, device) -> (statistic, p) --------------------------
def _np(t):
    return t.cpu().numpy()


def _rand(n, g, dev, dtype):
    return ks(_np(nb.rand(n, generator=g, device=dev, dtype=dtype)), lambda x: x)


def _normal(n, g, dev):
    mean = nb.full((n,), 2.0, dtype=nb.float64, device=dev)
    std = nb.full((n,), 3.0, dtype=nb.float64, device=dev)
    return ks((_np(nb.normal(mean, std, generator=g)) - 2.0) / 3.0, _phi)


def _fill(n, dev, method, *args, g):
    return _np(getattr(nb.empty(n, dtype=nb.float64, device=dev), method)(*args, generator=g))


def _multinomial(n, g, dev, replacement):
    p = np.array([0.1, 0.25, 0.05, 0.4, 0.2])
    probs = nb.tensor(p, device=dev)
    if replacement:
        return chi2(_counts(_np(nb.multinomial(probs, n, True, generator=g)), 5), p)
    # without replacement: the second draw of each row, P(j) = sum_i p_i p_j / (1 - p_i)
    rows = _np(nb.multinomial(probs.expand(n // 2, 5).contiguous(), 2, generator=g))
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j)
                       for j in range(5)])
    return chi2(_counts(rows[:, 1], 5), second)


def _pattern(rows):
    """The index (0..k!-1) of each row's relative order."""
    ranks = np.argsort(np.argsort(rows, axis=1), axis=1)
    k = rows.shape[1]
    return ranks @ (k ** np.arange(k - 1, -1, -1))


def _orders(codes, k):
    """chi2 of the relative orders `codes` against k! equally likely ones."""
    kinds = {c: i for i, c in enumerate(sorted({int(v) for v in _pattern(
        np.array([list(q) for q in __import__("itertools").permutations(range(k))]))}))}
    n = math.factorial(k)
    return chi2(_counts([kinds[int(c)] for c in codes], n), np.full(n, 1 / n))


def _randperm_small(n, g, dev):
    # n // 4 permutations of 4 items: 24 equally likely orders
    perms = np.stack([_np(nb.randperm(4, generator=g, device=dev)) for _ in range(n // 4)])
    return _orders(_pattern(perms), 4)


def _randperm_long(n, g, dev):
    # one permutation of n items: the relative orders of disjoint triples are uniform
    perm = _np(nb.randperm(n - n % 3, generator=g, device=dev)).reshape(-1, 3)
    return _orders(_pattern(perm), 3)


CHECKS = {
    "rand float64 (KS, U(0,1))": lambda n, g, d: _rand(n, g, d, nb.float64),
    "rand float32 (KS, U(0,1))": lambda n, g, d: _rand(n, g, d, nb.float32),
    "randn (KS, N(0,1))": lambda n, g, d: ks(_np(nb.randn(n, generator=g, device=d,
                                                           dtype=nb.float64)), _phi),
    "normal(mean, std) (KS)": _normal,
    "uniform_(-1, 3) (KS)": lambda n, g, d: ks(_fill(n, d, "uniform_", -1.0, 3.0, g=g),
                                               lambda x: (x + 1.0) / 4.0),
    "exponential_(2) (KS)": lambda n, g, d: ks(_fill(n, d, "exponential_", 2.0, g=g),
                                               lambda x: 1.0 - np.exp(-2.0 * x)),
    "cauchy_(1, 2) (KS)": lambda n, g, d: ks(_fill(n, d, "cauchy_", 1.0, 2.0, g=g),
                                             lambda x: 0.5 + np.arctan((x - 1.0) / 2.0) / math.pi),
    "log_normal_(0.5, 0.75) (KS)": lambda n, g, d: ks(
        (np.log(_fill(n, d, "log_normal_", 0.5, 0.75, g=g)) - 0.5) / 0.75, _phi),
    "bernoulli(0.3) (chi2)": lambda n, g, d: chi2(
        _counts(_np(nb.bernoulli(nb.full((n,), 0.3, device=d), generator=g)), 2), [0.7, 0.3]),
    "geometric_(0.2) (chi2)": lambda n, g, d: _tail(
        _fill(n, d, "geometric_", 0.2, g=g), np.array([0.2 * 0.8 ** k for k in range(60)]),
        first=1),
    "poisson(3.5) (chi2)": lambda n, g, d: _tail(
        _np(nb.poisson(nb.full((n,), 3.5, device=d), generator=g)), _poisson_probs(3.5, 40)),
    "poisson(40) (chi2, PTRS)": lambda n, g, d: _tail(
        _np(nb.poisson(nb.full((n,), 40.0, device=d), generator=g)), _poisson_probs(40.0, 150)),
    "randint(0, 10) (chi2)": lambda n, g, d: chi2(
        _counts(_np(nb.randint(0, 10, (n,), generator=g, device=d)), 10), np.full(10, 0.1)),
    "random_(0, 7) (chi2)": lambda n, g, d: chi2(
        _counts(_np(nb.empty(n, dtype=nb.int64, device=d).random_(0, 7, generator=g)), 7),
        np.full(7, 1 / 7)),
    "multinomial with replacement (chi2)": lambda n, g, d: _multinomial(n, g, d, True),
    "multinomial without replacement (chi2)": lambda n, g, d: _multinomial(n, g, d, False),
    "randperm(4) orders (chi2)": _randperm_small,
    "randperm(n) triples (chi2)": _randperm_long,
    "dropout(p=0.25) mask (chi2)": lambda n, g, d: chi2(
        _counts(_np(nb.nn.functional.dropout(nb.ones(n, device=d), 0.25) > 0), 2),
        [0.25, 0.75]),
}


def run(n, device="cpu", seed=2024):
    """[(name, statistic, p)] of every check with `n` draws (the generator seeded)."""
    out = []
    for i, (name, fn) in enumerate(CHECKS.items()):
        g = nb.Generator(device).manual_seed(seed + i)
        nb.manual_seed(seed + i)   # dropout draws from the default generator
        stat, p = fn(n, g, device)
        out.append((name, stat, p))
    return out


class RandomDraws:
    """asv: the time of a million draws."""

    def setup(self):
        self.g = nb.Generator().manual_seed(0)
        self.p = nb.rand(1000, 100, dtype=nb.float64)
        nb.rand(10, generator=self.g), nb.randn(10, generator=self.g)   # compile first

    def time_rand_1e6(self):
        nb.rand(10 ** 6, generator=self.g)

    def time_randn_1e6(self):
        nb.randn(10 ** 6, generator=self.g)

    def time_multinomial_1000x100_draw_10(self):
        nb.multinomial(self.p, 10, generator=self.g)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10 ** 6, help="draws per test")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    rows = run(args.n, args.device, args.seed)
    width = max(len(r[0]) for r in rows)
    print(f"{'test':<{width}}  {'statistic':>12}  {'p-value':>10}   ({args.n} draws, "
          f"{args.device})")
    for name, stat, p in rows:
        flag = "" if p > THRESHOLD else "   <= 1e-3: FAIL"
        print(f"{name:<{width}}  {stat:12.6g}  {p:10.4g}{flag}")
    return 0 if all(p > THRESHOLD for _, _, p in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
