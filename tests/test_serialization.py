"""``copy.deepcopy``, ``nb.save`` and ``nb.load`` (issue 10).

deepcopy follows PyTorch: leaves only (RuntimeError for a tensor with a grad_fn,
in grad mode or not), ``requires_grad`` kept, ``.grad`` deep-copied, and tensors
that share memory in one deepcopy call share one new buffer.  save/load keep
dtype, shape, strides, ``requires_grad`` (loaded as leaves; ``.grad`` is not
saved), containers' types, shared memory and object identity of tensors, as
PyTorch does; the file is JSON and raw bytes, so loading runs no code.

OUTCOMES was recorded once from PyTorch 2.13.0+cpu with `tests.recorded.record`
(this module never imports torch).  The format's own properties (no unpickling,
refused tampering, save-time TypeError for objects it cannot hold) are tested
after the recorded cases.
"""

import copy
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import nbgrad
from tests.recorded import close, outcome

OUTCOMES = {
    ('x = torch.ones(2, requires_grad=True)\n(x * 3).sum().backward()\ny = '
     'copy.deepcopy(x)\n[y, y.grad, y.requires_grad, y.is_leaf, y.grad is '
     'x.grad, y.grad_fn is None]'):
        ('value',
         [('tensor', 'float32', [2], [1.0, 1.0]),
          ('tensor', 'float32', [2], [3.0, 3.0]),
          True,
          True,
          False,
          True]),
    'x = torch.ones(2, requires_grad=True)\ncopy.deepcopy(x * 2)':
        ('raises', 'RuntimeError'),
    ('x = torch.ones(2, requires_grad=True)\nz = x * 2\nwith torch.no_grad():\n  '
     '  c = copy.deepcopy(z)\nc'):
        ('raises', 'RuntimeError'),
    'copy.deepcopy(torch.ones(2) * 2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'x = torch.ones(2, requires_grad=True)\ncopy.deepcopy(x[:1])':
        ('raises', 'RuntimeError'),
    'x = torch.tensor([1, 2])\ny = copy.deepcopy(x)\ny[0] = 5\n[x, y]':
        ('value', [('tensor', 'int64', [2], [1, 2]), ('tensor', 'int64', [2], [5, 2])]),
    ('t = torch.ones(2, dtype=torch.float64, requires_grad=True)\nt.grad = '
     'torch.full((2,), 3.0, dtype=torch.float64)\nc = copy.deepcopy(t)\n'
     'c.grad.add_(1)\n[c.grad, t.grad, c.dtype]'):
        ('value',
         [('tensor', 'float64', [2], [4.0, 4.0]),
          ('tensor', 'float64', [2], [3.0, 3.0]),
          ('dtype', 'float64')]),
    ("base = torch.arange(6.)\nv = base[2:4]\nd = copy.deepcopy({'b': base, "
     "'v': v})\nd['b'][2] = 100\n[d['v'], base, v]"):
        ('value',
         [('tensor', 'float32', [2], [100.0, 3.0]),
          ('tensor', 'float32', [6], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
          ('tensor', 'float32', [2], [2.0, 3.0])]),
    ('base = torch.arange(6.)\nv = base[2:4]\nd = copy.deepcopy([v, base])\n'
     'd[1][2] = 100\nd[0]'):
        ('value', ('tensor', 'float32', [2], [100.0, 3.0])),
    ('base = torch.arange(6.)\nd = copy.deepcopy([base.view(2, 3), base[::2]])\n'
     'd[0][0, 0] = 55\nd[1]'):
        ('value', ('tensor', 'float32', [3], [55.0, 2.0, 4.0])),
    ('base = torch.arange(6.)\nd = copy.deepcopy([base[1:3], base[3:5]])\n'
     'd[0][1] = -1\nd[1][0] = -2\n[d[0], d[1]]'):
        ('value',
         [('tensor', 'float32', [2], [1.0, -1.0]), ('tensor', 'float32', [2], [-2.0, 4.0])]),
    ('base = torch.arange(6.)\nd = copy.deepcopy([base, base.view(2, 3).t()])\n'
     'd[1][0, 1] = 9\nd[0]'):
        ('value', ('tensor', 'float32', [6], [0.0, 1.0, 2.0, 9.0, 4.0, 5.0])),
    'base = torch.arange(6.)\nc = copy.deepcopy(base[2:4])\nc[0] = 7\n[c, base]':
        ('value',
         [('tensor', 'float32', [2], [7.0, 3.0]),
          ('tensor', 'float32', [6], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])]),
    ("t = torch.ones(2)\nm = {'a': t, 'b': t}\nc = copy.deepcopy(m)\nc['a'] is "
     "c['b']"):
        ('value', True),
    ('copy.deepcopy([torch.ones(0, 3), torch.tensor(2.5), '
     'torch.tensor([True])])'):
        ('value',
         [('tensor', 'float32', [0, 3], []),
          ('tensor', 'float32', [], 2.5),
          ('tensor', 'bool', [1], [True])]),
    ('buf = io.BytesIO()\ntorch.save(torch.arange(6.).reshape(2, 3), buf)\n'
     'buf.seek(0)\ntorch.load(buf)'):
        ('value', ('tensor', 'float32', [2, 3], [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])),
    ("buf = io.BytesIO()\ntorch.save({'w': torch.ones(2, 3, "
     "requires_grad=True), 'b': [torch.arange(3), (torch.tensor(True), 1.5, "
     "'s', None, 3)]}, buf)\nbuf.seek(0)\no = torch.load(buf)\n[o['w'], "
     "o['w'].requires_grad, o['w'].is_leaf, type(o['b']).__name__, "
     "type(o['b'][1]).__name__, o['b']]"):
        ('value',
         [('tensor', 'float32', [2, 3], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
          True,
          True,
          'list',
          'tuple',
          [('tensor', 'int64', [3], [0, 1, 2]),
           [('tensor', 'bool', [], True), 1.5, 's', None, 3]]]),
    ('t = torch.ones(2, requires_grad=True)\nbuf = io.BytesIO()\ntorch.save(t * '
     '2, buf)\nbuf.seek(0)\no = torch.load(buf)\n[o, o.requires_grad, o.grad_fn '
     'is None, o.is_leaf]'):
        ('value', [('tensor', 'float32', [2], [2.0, 2.0]), True, True, True]),
    ('t = torch.ones(2, requires_grad=True)\nt.grad = torch.ones(2)\nbuf = '
     'io.BytesIO()\ntorch.save(t, buf)\nbuf.seek(0)\ntorch.load(buf).grad'):
        ('value', None),
    ("base = torch.arange(6.)\nbuf = io.BytesIO()\ntorch.save({'b': base, 'v': "
     "base[2:4]}, buf)\nbuf.seek(0)\no = torch.load(buf)\no['b'][2] = 100\n"
     "[o['v'], base]"):
        ('value',
         [('tensor', 'float32', [2], [100.0, 3.0]),
          ('tensor', 'float32', [6], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])]),
    ('base = torch.arange(6.)\nbuf = io.BytesIO()\ntorch.save([base.view(2, '
     '3).t(), base[::2], base[1:2]], buf)\nbuf.seek(0)\no = torch.load(buf)\n'
     'o[1][1] = -5\n[o[0], o[0].is_contiguous(), o[2]]'):
        ('value',
         [('tensor', 'float32', [3, 2], [[0.0, 3.0], [1.0, 4.0], [-5.0, 5.0]]),
          False,
          ('tensor', 'float32', [1], [1.0])]),
    ('base = torch.arange(6.)\nbuf = io.BytesIO()\ntorch.save(base[2:4], buf)\n'
     'buf.seek(0)\no = torch.load(buf)\no[0] = 9\n[o, base]'):
        ('value',
         [('tensor', 'float32', [2], [9.0, 3.0]),
          ('tensor', 'float32', [6], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])]),
    ('t = torch.ones(2)\nbuf = io.BytesIO()\ntorch.save([t, t], buf)\n'
     'buf.seek(0)\no = torch.load(buf)\no[0] is o[1]'):
        ('value', True),
    ('buf = io.BytesIO()\ntorch.save([torch.tensor(2**62), torch.ones(2, 0, '
     '3), torch.tensor([1, 2], dtype=torch.uint8), torch.tensor(-1, '
     'dtype=torch.int8), torch.tensor([1.5], dtype=torch.float64), '
     'torch.tensor([True, False])], buf)\nbuf.seek(0)\ntorch.load(buf)'):
        ('value',
         [('tensor', 'int64', [], 4611686018427387904),
          ('tensor', 'float32', [2, 0, 3], [[], []]),
          ('tensor', 'uint8', [2], [1, 2]),
          ('tensor', 'int8', [], -1),
          ('tensor', 'float64', [1], [1.5]),
          ('tensor', 'bool', [2], [True, False])]),
    ("buf = io.BytesIO()\ntorch.save([float('nan'), float('inf'), "
     "-float('inf'), 2**70, 1e-300, -0.0], buf)\nbuf.seek(0)\no = "
     'torch.load(buf)\n[o, math.copysign(1.0, o[5])]'):
        ('value', [['nan', 'inf', '-inf', 1180591620717411303424, 1e-300, -0.0], -1.0]),
    ('buf = io.BytesIO()\ntorch.save({1: torch.ones(1), (1, 2): 3, None: 4, '
     "2.5: 6, 'k': {'n': [1, (2, 3)]}}, buf)\nbuf.seek(0)\nsorted(map(repr, "
     'torch.load(buf).items()))'):
        ('value',
         ["('k', {'n': [1, (2, 3)]})",
          '((1, 2), 3)',
          '(1, tensor([1.]))',
          '(2.5, 6)',
          '(None, 4)']),
    ('buf = io.BytesIO()\ntorch.save([torch.float64, torch.Size([2, 3]), '
     "torch.device('cpu'), {1, 2}, b'xy', 1 + 2j], buf)\nbuf.seek(0)\n[repr(v) "
     'for v in torch.load(buf)]'):
        ('value',
         ['torch.float64',
          'torch.Size([2, 3])',
          "device(type='cpu')",
          '{1, 2}',
          "b'xy'",
          '(1+2j)']),
    ('import collections\nbuf = io.BytesIO()\n'
     'torch.save(collections.OrderedDict(a=torch.ones(1), b=2), buf)\n'
     "buf.seek(0)\no = torch.load(buf)\n[type(o).__name__, list(o), o['a']]"):
        ('value', ['OrderedDict', ['a', 'b'], ('tensor', 'float32', [1], [1.0])]),
    ('buf = io.BytesIO()\ntorch.save(torch.ones(2), buf)\nbuf.seek(0)\n'
     "[torch.load(buf, weights_only=True, map_location='cpu'), "
     'torch.load(io.BytesIO(buf.getvalue()), weights_only=False, '
     "map_location=torch.device('cpu')), "
     "torch.load(io.BytesIO(buf.getvalue()), map_location={'cpu': 'cpu'})]"):
        ('value',
         [('tensor', 'float32', [2], [1.0, 1.0]),
          ('tensor', 'float32', [2], [1.0, 1.0]),
          ('tensor', 'float32', [2], [1.0, 1.0])]),
    'torch.save(torch.ones(1), io.BytesIO())':
        ('value', None),
    "torch.load(io.BytesIO(b'garbage'))":
        ('raises', 'Exception'),
    "torch.load(io.BytesIO(b''))":
        ('raises', 'EOFError'),
    ("import pickle\nbuf = io.BytesIO()\npickle.dump({'a': 1}, buf)\nbuf.seek(0)\n"
     'torch.load(buf)'):
        ('raises', 'Exception'),
    "torch.load('/nonexistent/dir/x.pt')":
        ('raises', 'FileNotFoundError'),
    "torch.save(torch.ones(1), '/nonexistent/dir/x.pt')":
        ('raises', 'RuntimeError'),
}
CASES = list(OUTCOMES)


@pytest.mark.parametrize("code", CASES, ids=[c.replace("\n", "; ")[:120] for c in CASES])
def test_case_ends_as_in_pytorch(code):
    got = outcome(nbgrad, code)
    assert close(got, OUTCOMES[code]), f"{code}\nPyTorch: {OUTCOMES[code]}\nnbgrad: {got}"


def _round_trip(obj, **load_kwargs):
    buf = io.BytesIO()
    nbgrad.save(obj, buf)
    buf.seek(0)
    return nbgrad.load(buf, **load_kwargs)


@pytest.mark.parametrize("dtype", [nbgrad.float32, nbgrad.float64, nbgrad.int8, nbgrad.int16,
                                   nbgrad.int32, nbgrad.int64, nbgrad.uint8, nbgrad.bool])
def test_every_dtype_round_trips_bit_for_bit(dtype):
    a = (np.arange(-6, 6).reshape(3, 4) * 37).astype(dtype.np)
    t = nbgrad.from_numpy(a)
    for view in (t, t.t(), t[1:, ::2], t.reshape(-1)[5:6]):
        got = _round_trip(view)
        assert got.dtype is dtype and got.shape == view.shape
        assert np.array_equal(got.numpy(), view.numpy())


def test_paths_and_file_objects(tmp_path):
    obj = {"w": nbgrad.arange(4.0).requires_grad_(), "n": 3}
    nbgrad.save(obj, str(tmp_path / "a.nbt"))
    nbgrad.save(obj, tmp_path / "b.nbt")
    with open(tmp_path / "c.nbt", "wb") as f:
        nbgrad.save(obj, f)
    for name in ("a.nbt", "b.nbt", "c.nbt"):
        for src in (str(tmp_path / name), tmp_path / name):
            got = nbgrad.load(src)
            assert got["n"] == 3 and got["w"].requires_grad and got["w"].tolist() == [0, 1, 2, 3]
        with open(tmp_path / name, "rb") as f:
            assert nbgrad.load(f)["w"].tolist() == [0, 1, 2, 3]


def test_a_stream_that_cannot_seek_loads():
    buf = io.BytesIO()
    nbgrad.save([nbgrad.ones(2)], buf)

    class Stream:
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def read(self, n=-1):
            return self._data.read(n)

        def seekable(self):
            return False

    assert _round_trip([nbgrad.ones(2)])[0].tolist() == [1.0, 1.0]
    assert nbgrad.load(Stream(buf.getvalue()))[0].tolist() == [1.0, 1.0]


def test_load_never_unpickles(monkeypatch):
    obj = {"w": nbgrad.ones(2, 3), "s": {1, 2}, "t": (1.5, "x")}
    buf = io.BytesIO()
    nbgrad.save(obj, buf)

    def refuse(*args, **kwargs):
        raise AssertionError("load() unpickled")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    for weights_only in (True, False, None):
        got = nbgrad.load(io.BytesIO(buf.getvalue()), weights_only=weights_only)
        assert got["s"] == {1, 2} and got["t"] == (1.5, "x") and got["w"].shape == (2, 3)


def _tampered(edit):
    """An archive of one tensor whose data.json `edit` changed."""
    buf = io.BytesIO()
    nbgrad.save(nbgrad.arange(4.0), buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    data = json.loads(src.read("archive/data.json"))
    edit(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.json", json.dumps(data))
        for name in src.namelist():
            if name != "archive/data.json":
                z.writestr(name, src.read(name))
    out.seek(0)
    return out


@pytest.mark.parametrize("edit", [
    lambda d: d["tensors"][0].update(offset=8),                       # past the end
    lambda d: d["tensors"][0].update(strides=[-8]),                   # before the start
    lambda d: d["tensors"][0].update(shape=[1000]),                   # longer than stored
    lambda d: d["tensors"][0].update(dtype="object"),                 # not a tensor dtype
    lambda d: d["tensors"][0].update(storage=7),                      # no such storage
    lambda d: d.update(root={"$pickle": "cos\nsystem\n"}),            # unknown tag
    lambda d: d.update(root={"$tensor": 5}),                          # no such tensor
    lambda d: d.update(root={"$ndarray": 0}) or d["tensors"][0].update(dtype="|O"),
    lambda d: d.update(format="something else"),
    lambda d: d.update(version=99),
    lambda d: d.update(storages=[3]),                                 # wrong byte count
])
def test_a_tampered_file_is_refused_without_reading_outside_its_bytes(edit):
    with pytest.raises(pickle.UnpicklingError, match="not a valid nbgrad file"):
        nbgrad.load(_tampered(edit))


def test_save_refuses_what_it_cannot_hold_naming_where_it_is():
    class Foo:
        pass
    with pytest.raises(TypeError, match=r"\['a'\]\[1\].*Foo"):
        nbgrad.save({"a": [1, Foo()]}, io.BytesIO())
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="contains itself"):
        nbgrad.save(cyclic, io.BytesIO())


def test_numpy_values_round_trip():
    got = _round_trip({"a": np.arange(6).reshape(2, 3)[:, ::2], "s": np.float32(2.5),
                       "b": np.bool_(True), "c": np.array([1 + 2j])})
    assert got["a"].tolist() == [[0, 2], [3, 5]] and got["a"].dtype == np.int64
    assert got["s"] == np.float32(2.5) and type(got["s"]) is np.float32
    assert got["b"] is np.True_ and got["c"].tolist() == [1 + 2j]


def test_deepcopy_keeps_aliasing_through_numpy_stride_tricks():
    a = np.arange(6.0)
    view = np.lib.stride_tricks.as_strided(a[1:], (2,), (16,))   # base: NumPy's DummyArray
    base, strided = copy.deepcopy([nbgrad.from_numpy(a), nbgrad.from_numpy(view)])
    base[3] = 30.0
    assert strided.tolist() == [1.0, 30.0]
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_deepcopy_of_a_read_only_array_is_writable():
    a = np.arange(3.0)
    a.setflags(write=False)
    with pytest.warns(UserWarning, match="not writable"):
        t = nbgrad.from_numpy(a)
    c = copy.deepcopy(t)
    c.add_(1)
    assert c.tolist() == [1.0, 2.0, 3.0] and a.tolist() == [0.0, 1.0, 2.0]


def test_deepcopy_of_an_expanded_tensor_keeps_its_layout():
    t = nbgrad.arange(3.0).expand(2, 3)
    c = copy.deepcopy(t)
    assert c.tolist() == [[0, 1, 2], [0, 1, 2]] and c._data.strides == t._data.strides
