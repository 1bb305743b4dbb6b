"""Every registered op has an entry in the test op database, and vice versa."""

import nbgrad
from tests.opdb import BY_NAME


def test_every_registered_op_is_in_the_database():
    missing = sorted(set(nbgrad._REGISTRY) - set(BY_NAME))
    assert not missing, f"ops registered without a test op database entry: {missing}"


def test_every_database_entry_is_a_registered_op():
    unknown = sorted(name for name, infos in BY_NAME.items()
                     if name not in nbgrad._REGISTRY and not all(i.composite for i in infos))
    assert not unknown, f"op database entries for unregistered ops: {unknown}"
