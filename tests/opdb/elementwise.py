"""Op database entries for elementwise ops."""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, binary_samples, uniform, unary_samples

_pos = (0.5, 2.0)

OPS = [
    OpInfo("neg", nb.neg, np.negative, unary_samples()),
    OpInfo("exp", nb.exp, np.exp, unary_samples()),
    OpInfo("log", nb.log, np.log, unary_samples(_pos)),
    OpInfo("abs", nb.abs, np.abs, unary_samples()),
    OpInfo("sign", nb.sign, np.sign, unary_samples()),
    OpInfo("add", nb.add, np.add, binary_samples()),
    OpInfo("sub", nb.sub, np.subtract, binary_samples()),
    OpInfo("mul", nb.mul, np.multiply, binary_samples()),
    OpInfo("div", nb.div, np.divide, binary_samples(domain_y=_pos)),
    OpInfo("pow", nb.pow, np.power, binary_samples(domain=_pos, scalars=(2, 0.5))),
    OpInfo("where", nb.where, np.where,
           lambda rng: [Sample((uniform(rng, (2, 3)) > 0, uniform(rng, (2, 3)),
                                uniform(rng, (3,))), desc="broadcast"),
                        Sample((uniform(rng, (4,)) > 0, uniform(rng, (4,)), 0.5),
                               desc="scalar-other")]),
]
for _name, _ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                    ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
    OPS.append(OpInfo(_name, getattr(nb, _name), _ref, binary_samples(), grad=False,
                      gradgrad=False))
