"""How an optimizer hands a parameter group to its fused kernel.

`run` splits the parameters that have a gradient by (device, dtype), then:

- on the CPU, describes them in a table of buffer addresses
  (`nbgrad.backends.cpu.optim_kernels`) and makes ONE kernel call per split.
  The table is kept between steps (`_Table`): the parameters' and state
  tensors' buffers are checked by identity each step and the table rebuilt
  only when one of them changed; gradients, new arrays after every backward,
  are written into it each step;
- on a CUDA device, passes tuples of device arrays to ONE launch
  (`nbgrad.backends.cuda.optim_kernels`, imported on first use).

Kernels need C-contiguous buffers: a parameter or gradient that is not
(a transposed leaf, say) is updated through a contiguous copy that is
written back; state tensors are made contiguous in place in the state.
Afterwards each parameter's version counter is bumped, as an in-place op
would.
"""

import numpy as np

from nbgrad import _dtypes

__all__ = ["DTYPES", "check_dtype", "run"]

DTYPES = (_dtypes.float32, _dtypes.float64)
_NO_STATE = {}


def check_dtype(opt, p):
    """PyTorch's optimizers take any floating parameter; nbgrad's kernels take these two."""
    if p.dtype not in DTYPES:
        raise TypeError(f"{type(opt).__name__}: nbgrad's optimizers update float32 and "
                        f"float64 parameters; got a parameter of dtype {p.dtype!r} and "
                        f"shape {list(p.shape)} (convert it with .float() or .double())")


def _kernels():
    from nbgrad.backends.cpu import optim_kernels
    return optim_kernels


class _Table:
    """The CPU table of one (group, dtype) split, with what it was built from."""

    __slots__ = ("arrays", "params", "table", "work")

    def __init__(self, params, arrays, table, work):
        self.params = params   # the parameter tensors, in row order
        self.arrays = arrays   # per row: (param buffer, state buffers..., step buffer)
        self.table = table
        self.work = work       # row -> contiguous copy of a non-contiguous parameter


def _state_arrays(state, names):
    return tuple(None if n is None else state[n]._data for n in names)


def _valid(cached, params, opt, names):
    if cached is None or len(cached.params) != len(params):
        return False
    st = opt.state
    for p, q, arrs in zip(params, cached.params, cached.arrays):
        if p is not q or p._data is not arrs[0]:
            return False
        s = st.get(p, _NO_STATE)
        step = s.get("step")
        if (None if step is None else step._data) is not arrs[-1]:
            return False
        for n, a in zip(names, arrs[1:-1]):
            if n is not None and s[n]._data is not a:
                return False
    return True


def _contiguous_state(opt, p, names):
    """State buffers as the kernels need them: contiguous and of the parameter's dtype."""
    s = opt.state.get(p, _NO_STATE)
    for n in names:
        if n is None:
            continue
        t = s[n]
        if t.dtype is not p.dtype or t.shape != p.shape or t.device != p.device:
            raise RuntimeError(f"{type(opt).__name__}: state {n!r} of a parameter of shape "
                               f"{list(p.shape)} and dtype {p.dtype!r} has shape "
                               f"{list(t.shape)} and dtype {t.dtype!r} on {t.device}")
        if not t.is_contiguous():
            s[n] = t.contiguous()


def _build(opt, params, names, first):
    k = _kernels()
    table = np.zeros((len(params), k.NCOLS), np.int64)
    arrays, work = [], {}
    for r, p in enumerate(params):
        _contiguous_state(opt, p, names)
        s = opt.state.get(p, _NO_STATE)   # SGD without momentum keeps no state
        data = p._data
        if not k.put(table, r, k.P, data):
            w = p.detach().contiguous()
            work[r] = w
            k.put(table, r, k.P, w._data)
        table[r, k.N] = data.size
        for col, n in zip((k.S0, k.S1, k.S2), names):
            if n is not None:
                k.put(table, r, col, s[n]._data)
        step = s.get("step")
        if step is not None:
            k.put(table, r, k.STEP, step._data)
            if step.dtype is _dtypes.float64:
                table[r, k.FLAGS] |= k.STEP_F64
            elif step.dtype is not _dtypes.float32:
                raise RuntimeError(f"{type(opt).__name__}: state 'step' has dtype "
                                   f"{step.dtype!r}; float32 or float64 expected")
        arrays.append((data,) + _state_arrays(s, names) + (None if step is None
                                                            else step._data,))
    return _Table(list(params), arrays, table, work)


def _run_cpu(opt, key, params, names, kernel, args, first):
    """One kernel call over `params` (all CPU, one dtype)."""
    k = _kernels()
    cache = opt.__dict__.setdefault("_fused_tables", {})
    t = cache.get(key)
    if not _valid(t, params, opt, names):
        t = cache[key] = _build(opt, params, names, first)
    table = t.table
    for r, w in t.work.items():     # a non-contiguous parameter's copy: refresh it
        w.copy_(params[r])
    keep = []
    for r, p in enumerate(params):
        g = p._grad
        if not k.put(table, r, k.G, g._data):
            g = g.contiguous()
            keep.append(g)
            k.put(table, r, k.G, g._data)
        if first is not None:
            table[r, k.FLAGS] = (table[r, k.FLAGS] & ~k.FIRST) | (k.FIRST if first[r] else 0)
    like = params[0]._data.reshape(-1)[:0]
    total = 0
    for p in params:
        total += p._data.size
    kernel(table, like, total >= k.PARALLEL_THRESHOLD, *args)
    for r, w in t.work.items():
        params[r].copy_(w)
    del keep


def run(opt, gi, params, names, cpu_kernel, cuda_kernel, args, first=None):
    """Update `params` (those of group `gi` that have a gradient) with one kernel call per
    (device, dtype): state buffers `names` (None where unused, in the kernel's S0-S2
    order) and ``opt.state[p]['step']`` when present.  `first[r]` (SGD) marks a new
    momentum buffer."""
    if not params:
        return
    splits = {}
    for r, p in enumerate(params):
        splits.setdefault((p.device, p.dtype), []).append(r)
    for (device, dtype), rows in splits.items():
        ps = params if len(splits) == 1 else [params[r] for r in rows]
        fs = None if first is None else [first[r] for r in rows]
        if device.type == "cpu":
            _run_cpu(opt, (gi, dtype), ps, names, getattr(_kernels(), cpu_kernel), args, fs)
        else:
            from nbgrad.backends.cuda import optim_kernels as cuda_kernels
            getattr(cuda_kernels, cuda_kernel)(ps, [opt.state.get(p, _NO_STATE) for p in ps],
                                               names, fs, *args)
    for p in params:
        p._bump_version()
