"""Op database entries for the random ops (``normal``, ``bernoulli``, ``poisson``,
``multinomial``) and the in-place random fills (``uniform_`` ... ``random_``).

Every call seeds the default generators first (``nb.manual_seed(7)``), so one
call draws the same numbers every time: finite differences see one function,
and the CUDA device tests (which compare CUDA with the CPU value for value)
check that a seed gives the same stream on both devices.  Values are checked
where they are determined: std 0 gives the mean, probabilities 0 and 1 and
rate 0 give themselves, one-hot rows give their class, ``uniform_(a, a)``
gives a.  Gradients: the in-place fills, ``bernoulli`` and ``poisson`` are
piecewise constant in their inputs, so PyTorch's zero gradient is the true
one and gradcheck / gradgradcheck run; ``normal``'s zero gradient (PyTorch's
rule, not the derivative of mean + std * z) is checked in tests/test_random.py.
"""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform


def _seeded(fn):
    def call(*args, **kwargs):
        nb.manual_seed(7)
        return fn(*args, **kwargs)
    return call


def _method(name, *extra, **kw):
    def call(x, *args):
        nb.manual_seed(7)
        return getattr(x.clone(), name)(*args, *extra, **kw)
    return call


def _shapes(rng, domain, shapes=((), (5,), (2, 3))):
    return [Sample((uniform(rng, s, domain),), desc=str(s)) for s in shapes] + \
        [Sample((uniform(rng, (3, 2), domain).T,), desc="transposed")]


def _normal_zero_std(rng):
    m = uniform(rng, (2, 3))
    return [Sample((m, np.zeros((2, 3))), desc="std 0"),
            Sample((uniform(rng, (2, 1)), np.zeros((1, 3))), desc="broadcast std 0")]


def _normal_random(rng):
    return [Sample((uniform(rng, (2, 3)), uniform(rng, (2, 3), (0.5, 2.0))), desc="(2, 3)"),
            Sample((uniform(rng, (3,)), uniform(rng, (2, 1), (0.5, 2.0))), desc="broadcast"),
            Sample((uniform(rng, (3, 2)).T, uniform(rng, (2, 3), (0.5, 2.0))),
                   desc="transposed mean")]


def _one_hot(rng):
    rows = np.zeros((3, 4))
    rows[0, 2] = 1.0
    rows[1, 0] = 0.25
    rows[2, 3] = 7.0
    return [Sample((rows, 5, True), desc="rows with replacement"),
            Sample((rows, 1), desc="rows without replacement"),
            Sample((rows[1],), {"num_samples": 3, "replacement": True}, desc="1-D")]


def _one_hot_ref(p, num_samples, replacement=False):
    return np.repeat(np.argmax(p, axis=-1)[..., None], num_samples, axis=-1)


def _multinomial_random(rng):
    return [Sample((uniform(rng, (3, 5), (0.0, 1.0)), 4, True), desc="with replacement"),
            Sample((uniform(rng, (3, 5), (0.0, 1.0)), 5), desc="a permutation per row"),
            Sample((uniform(rng, (6,), (0.0, 1.0)), 2), desc="1-D")]


def _zero_one(rng):
    return [Sample((np.array([0.0, 1.0, 1.0, 0.0]),), desc="0 and 1"),
            Sample((np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]).T,), desc="transposed")]


_NORMAL = [
    OpInfo("normal.Tensor_Tensor", _seeded(nb.normal), lambda m, s: m + 0 * s, _normal_zero_std,
           grad=False, variant="std0"),
    OpInfo("normal.Tensor_Tensor", _seeded(nb.normal), None, _normal_random, grad=False),
    OpInfo("normal.Tensor_float", _seeded(nb.normal), lambda m, s: np.asarray(m).copy(),
           lambda rng: [Sample((uniform(rng, (2, 3)), 0.0), desc="std 0")], grad=False,
           variant="std0"),
    OpInfo("normal.Tensor_float", _seeded(lambda m: nb.normal(m, 0.5)), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), grad=False),
    OpInfo("normal.float_Tensor", _seeded(lambda s: nb.normal(1.5, s)),
           lambda s: np.full_like(s, 1.5), lambda rng: [Sample((np.zeros((2, 3)),), desc="0")],
           grad=False, variant="std0"),
    OpInfo("normal.float_Tensor", _seeded(lambda s: nb.normal(1.5, s)), None,
           lambda rng: _shapes(rng, (0.5, 2.0)), grad=False),
]

_DISCRETE = [
    OpInfo("bernoulli", _seeded(nb.bernoulli), lambda p: np.asarray(p).copy(), _zero_one,
           grad=False, variant="0-1"),
    OpInfo("bernoulli", _seeded(nb.bernoulli), None, lambda rng: _shapes(rng, (0.1, 0.9))),
    OpInfo("bernoulli", _seeded(lambda p: p.bernoulli()), None,
           lambda rng: _shapes(rng, (0.1, 0.9))[:2], variant="method", composite=True),
    OpInfo("bernoulli.p", _seeded(lambda x: nb.bernoulli(x, 1.0)), np.ones_like,
           lambda rng: _shapes(rng, (-2.0, 2.0)), grad=False),
    OpInfo("bernoulli.p", _seeded(lambda x: nb.bernoulli(x, 0.3)), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), grad=False, variant="random"),
    OpInfo("poisson", _seeded(nb.poisson), np.zeros_like,
           lambda rng: [Sample((np.zeros((2, 3)),), desc="rate 0")], grad=False,
           variant="zero"),
    # rates below 10 (multiplication) and above (PTRS rejection)
    OpInfo("poisson", _seeded(nb.poisson), None, lambda rng: _shapes(rng, (0.5, 30.0))),
    OpInfo("multinomial", _seeded(nb.multinomial), _one_hot_ref, _one_hot, grad=False,
           variant="one-hot"),
    OpInfo("multinomial", _seeded(nb.multinomial), None, _multinomial_random, grad=False),
    OpInfo("multinomial", _seeded(lambda p, n: p.multinomial(n)), None,
           lambda rng: [Sample((uniform(rng, (2, 4), (0.1, 1.0)), 2), desc="method")],
           grad=False, variant="method", composite=True),
]

_FILLS = [
    OpInfo("uniform_", _method("uniform_", -1.0, 2.0), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
    OpInfo("uniform_", _method("uniform_", 0.5, 0.5), lambda x: np.full_like(x, 0.5),
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True, variant="point"),
    OpInfo("normal_", _method("normal_", 1.0, 2.0), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
    OpInfo("normal_", _method("normal_", -3.0, 0.0), lambda x: np.full_like(x, -3.0),
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True, variant="std0"),
    OpInfo("bernoulli_", _method("bernoulli_", 0.4), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
    OpInfo("bernoulli_", _method("bernoulli_", 1.0), np.ones_like,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True, variant="p1"),
    OpInfo("bernoulli_", _method("bernoulli_"), None,
           lambda rng: [Sample((uniform(rng, (2, 3)), uniform(rng, (3,), (0.1, 0.9))),
                               desc="tensor p")], composite=True, variant="tensor"),
    OpInfo("random_", _method("random_"), None, lambda rng: _shapes(rng, (-2.0, 2.0)),
           composite=True),
    OpInfo("random_", _method("random_", 10), None, lambda rng: _shapes(rng, (-2.0, 2.0)),
           composite=True, variant="to"),
    OpInfo("random_", _method("random_", -3, 1), None, lambda rng: _shapes(rng, (-2.0, 2.0)),
           composite=True, variant="from-to"),
    OpInfo("random_", _method("random_", 1), np.zeros_like,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True, variant="to1"),
    OpInfo("exponential_", _method("exponential_", 2.0), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
    OpInfo("geometric_", _method("geometric_", 0.3), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
    OpInfo("cauchy_", _method("cauchy_", 1.0, 0.5), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
    OpInfo("log_normal_", _method("log_normal_", 0.5, 0.25), None,
           lambda rng: _shapes(rng, (-2.0, 2.0)), composite=True),
]

OPS = _NORMAL + _DISCRETE + _FILLS
