"""The on-disk kernel cache: used when writable, skipped when not, reused by a
second process (so a warm start compiles nothing), and keyed by everything a
kernel inlines (a changed constant or helper never loads a stale kernel; a
changed nbgrad never loads another build's kernels)."""

import os
import stat
import sys

import numpy as np
import pytest

from nbgrad.backends import codegen
from tests.cache_support import frozen_copy, run_python

SCRIPT = """
import nbgrad as nb
x = nb.ones(3, requires_grad=True)
((x + 2) * x).sum().backward()
print(x.grad.tolist())
from nbgrad.backends import codegen
print(codegen.cache_dir())
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return frozen_copy(tmp_path_factory.mktemp("site"))


def _run(site, env, script=SCRIPT, *args):
    return run_python(site, script, *args, env=env).stdout.splitlines()


def test_kernels_are_cached_and_reused(site, tmp_path):
    cache = tmp_path / "cache"
    env = {"NBGRAD_CACHE_DIR": str(cache), "NBGRAD_DISABLE_CACHE": ""}
    lines = _run(site, env)
    assert lines[0] == "[4.0, 4.0, 4.0]"
    assert lines[1].startswith(str(cache))
    kernel_dir = lines[1]
    sources = [f for f in os.listdir(kernel_dir) if f.endswith(".py")]
    assert any("_mul_" in f for f in sources) and any("_add_" in f for f in sources)
    compiled = os.listdir(os.path.join(kernel_dir, "__pycache__"))
    assert any(f.endswith(".nbi") for f in compiled) and any(f.endswith(".nbc") for f in compiled)
    # nbgrad's hand-written kernels (the fill kernel of ones) cache there too,
    # not in the installed package (run_python checks the package)
    own = os.path.join(kernel_dir, "numba", "backends.cpu")
    assert any(f.startswith("creation.fill") and f.endswith(".nbi") for f in os.listdir(own))
    before = {f: os.path.getmtime(os.path.join(kernel_dir, "__pycache__", f)) for f in compiled}
    # a second process loads the same kernels: no new compilation artefacts
    assert _run(site, env) == lines
    after = os.listdir(os.path.join(kernel_dir, "__pycache__"))
    assert set(after) == set(before)


def test_unwritable_cache_dir_falls_back_to_memory(site, tmp_path):
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(ro, os.W_OK):   # running as root: permissions do not bind
            target = "/proc/nbgrad-cache-cannot-exist"
        else:
            target = str(ro)
        lines = _run(site, {"NBGRAD_CACHE_DIR": target, "NBGRAD_DISABLE_CACHE": ""})
        assert lines == ["[4.0, 4.0, 4.0]", "None"]
    finally:
        ro.chmod(stat.S_IRWXU)


def test_cache_can_be_disabled(site):
    lines = _run(site, {"NBGRAD_DISABLE_CACHE": "1"})
    assert lines == ["[4.0, 4.0, 4.0]", "None"]


# -- the key covers what a kernel inlines ---------------------------------------
_SCALE = 2.0
_memo = []


def _helper(x):
    return x * _SCALE


def _rule(x):
    return _helper(x) + 1.0


def _make_closure(c):
    return lambda x: x * c


def test_fingerprint_covers_constants_and_helpers(monkeypatch):
    base = codegen.fingerprint(_rule)
    assert codegen.fingerprint(_rule) == base
    monkeypatch.setattr(sys.modules[__name__], "_SCALE", 3.0)   # the helper's constant
    assert codegen.fingerprint(_rule) != base
    monkeypatch.undo()
    assert codegen.fingerprint(_rule) == base
    monkeypatch.setattr(sys.modules[__name__], "_helper", lambda x: x * 2.5)
    assert codegen.fingerprint(_rule) != base


def test_fingerprint_covers_closures_defaults_and_arrays():
    assert codegen.fingerprint(_make_closure(2.0)) != codegen.fingerprint(_make_closure(3.0))
    assert codegen.fingerprint(_make_closure(2.0)) == codegen.fingerprint(_make_closure(2.0))
    assert codegen.fingerprint(lambda x, c=1.0: x * c) != \
        codegen.fingerprint(lambda x, c=2.0: x * c)
    a, b = np.arange(3.0), np.arange(3.0) + 1
    assert codegen.fingerprint(_make_closure(a)) != codegen.fingerprint(_make_closure(b))


def test_fingerprint_ignores_a_memo_list_filling_up():
    # a list cannot be inlined by Numba, and a memo fills as a program runs:
    # the key must be the same before and after (else warm caches miss)
    def uses_memo(x):
        return x if _memo else x
    before = codegen.fingerprint(uses_memo)
    _memo.append(object())
    try:
        assert codegen.fingerprint(uses_memo) == before
    finally:
        _memo.clear()


def test_fingerprint_of_gelu_grad_covers_its_constant(monkeypatch):
    from nbgrad.ops import activation
    base = codegen.fingerprint(activation._gelu_grad)
    monkeypatch.setattr(activation, "_INV_SQRT_2PI", 0.4)
    assert codegen.fingerprint(activation._gelu_grad) != base


RULE_MODULE = """
import numba

SCALE = {scale}
OFFSET = {offset}


@numba.njit
def _shift(x):
    return x + OFFSET


def rule(x):
    return _shift(x) * SCALE
"""

RULE_SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import rulemod
from nbgrad.backends import family
from nbgrad.backends.cpu import elementwise
fam = family.KernelFamily("stale_probe", [rulemod.rule])
print(elementwise.run(fam, [np.arange(3.0)], [np.float64], (3,))[0].tolist())
"""


def test_changed_constant_gets_a_new_kernel_not_a_stale_one(site, tmp_path):
    env = {"NBGRAD_CACHE_DIR": str(tmp_path / "cache"), "NBGRAD_DISABLE_CACHE": ""}
    mod = tmp_path / "rules"
    mod.mkdir()
    results = []
    for scale, offset in [(2.0, 1.0), (10.0, 1.0), (10.0, 5.0), (2.0, 1.0)]:
        (mod / "rulemod.py").write_text(RULE_MODULE.format(scale=scale, offset=offset))
        results.append(_run(site, env, RULE_SCRIPT, mod)[0])
        assert results[-1] == str([(i + offset) * scale for i in range(3)])
    # each variant is its own generated module in the one cache directory
    kdir = next(p for p in (tmp_path / "cache").iterdir() if p.name.startswith("kernels-"))
    assert len(list(kdir.glob("_nbgrad_gen_stale_probe_*.py"))) == 3


# -- the directory carries nbgrad's version and sources -------------------------
def test_cache_directory_carries_version_and_source_hash(monkeypatch, tmp_path):
    import nbgrad
    assert f"nbgrad{nbgrad.__version__}-" in codegen.cache_tag()
    pkg = tmp_path / "nbgrad"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text('__version__ = "9.8.7"\n')
    (pkg / "ops" / "helpers.py").write_text("K = 1.0\n")
    monkeypatch.setattr(codegen, "_package_dir", lambda: str(pkg))

    def tag():
        monkeypatch.setattr(codegen, "_src_hash", [])
        return codegen.cache_tag()
    first = tag()
    assert first.startswith("nbgrad9.8.7-") and first == tag()
    (pkg / "ops" / "helpers.py").write_text("K = 2.0\n")       # a helper another module inlines
    second = tag()
    assert second != first and second.startswith("nbgrad9.8.7-")
    (pkg / "__init__.py").write_text('__version__ = "9.8.8"\n')  # an upgrade
    assert tag().startswith("nbgrad9.8.8-")
    (pkg / "ops" / "notes.txt").write_text("not source")        # only *.py files count
    assert tag().split("-")[1] == codegen.cache_tag().split("-")[1]
