"""The test op database: one OpInfo per registered op.

Each family file (elementwise.py, reduce.py, movement.py, linalg.py, ...)
defines ``OPS``, a list of `OpInfo`.  The database drives the value tests
(against NumPy or a closed form), the float64 gradient checks, the
second-order checks and the device tests; `test_op_db_complete.py` fails when
a registered op has no entry.
"""

from tests.opdb.common import OpInfo, Sample  # noqa: F401
from tests.opdb import (conv, elementwise, indexing, inplace, linalg, movement,  # noqa: E402
                        nn, reduce)

ALL_OPS = []
for _family in (elementwise, reduce, movement, indexing, linalg, nn, conv, inplace):
    ALL_OPS.extend(_family.OPS)
ALL_OPS.extend(__import__("tests.opdb.linalg_decomp", fromlist=["OPS"]).OPS)   # nb.linalg
for _more in ("sorting", "structure", "pointwise_extra"):   # issue 14 families
    ALL_OPS.extend(__import__(f"tests.opdb.{_more}", fromlist=["OPS"]).OPS)
ALL_OPS.extend(__import__("tests.opdb.random", fromlist=["OPS"]).OPS)   # issue 14: random

BY_NAME = {}
for _info in ALL_OPS:
    BY_NAME.setdefault(_info.name, []).append(_info)
