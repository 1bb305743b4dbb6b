"""Op database entries for matrix products."""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform

_CASES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
          ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 2))]

OPS = [
    OpInfo("matmul", nb.matmul, np.matmul,
           lambda rng: [Sample((uniform(rng, a), uniform(rng, b)), desc=f"{a}@{b}")
                        for a, b in _CASES]),
]
