"""`LBFGS`, a port of ``torch.optim.LBFGS``: the same iteration, history handling,
stopping tests and strong-Wolfe line search (``line_search_fn="strong_wolfe"``),
step for step.

The parameters are seen as one flat vector.  On the CPU, gathering the
gradients into it, adding ``t * d`` to every parameter and the two-loop
recursion over the history are each one kernel call
(`nbgrad.backends.cpu.optim_kernels`); other vector work (dot products, norms)
is nbgrad ops.  On a GPU every step is nbgrad ops.  PyTorch keeps the scalars
of the recursion (``ro``, ``H_diag``, ``al``, ``t``) as 0-d tensors; nbgrad
keeps them as Python floats (the same numbers in float64; for float32
parameters PyTorch rounds them to float32, nbgrad does not).
"""

import math

import numpy as np

from nbgrad import _factories
from nbgrad.autograd.grad_mode import enable_grad
from nbgrad.optim import _fused
from nbgrad.optim.optimizer import Optimizer

__all__ = ["LBFGS"]

_STATE_ORDER = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    # ported from scipy/optimize/_linesearch.py via PyTorch's lbfgs.py
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _dot(a, b):
    if a.device.type != "cpu":
        # nbgrad's CUDA matmul fails on two 1-D operands (reported); a product and a sum
        # give the same number up to the summation order
        return (a * b).sum().item()
    return a.dot(b).item()


def _abs_max(a):
    return a.abs().max().item()


def _zoom(obj_func, x, t, d, f, gtd, bracket, bracket_f, bracket_g, bracket_gtd, done,
          ls_iter, ls_func_evals, c1, c2, tolerance_change, max_ls):
    """The zoom phase of `_strong_wolfe`: shrink the bracket to a point satisfying the
    strong Wolfe conditions."""
    d_norm = _abs_max(d)
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.clone(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.clone(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along `d` from step `t` (PyTorch's, itself from scipy / minFunc)."""
    g = g.clone()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.clone(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    return _zoom(obj_func, x, t, d, f, gtd, bracket, bracket_f, bracket_g, bracket_gtd, done,
                 ls_iter, ls_func_evals, c1, c2, tolerance_change, max_ls)


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``: one group, ``step(closure)`` runs up to
    `max_iter` iterations.

    >>> x = nb.tensor([-1.5, 2.0], dtype=nb.float64, requires_grad=True)
    >>> opt = nb.optim.LBFGS([x], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    ...     loss.backward(); return loss
    >>> for _ in range(5): _ = opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None
        for p in self._params:
            _fused.check_dtype(self, p)

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _on_cpu(self):
        p0 = self._params[0]
        return all(p.device.type == "cpu" and p.dtype is p0.dtype and p.is_contiguous()
                   for p in self._params)

    def _table(self, with_grads):
        from nbgrad.backends.cpu import optim_kernels as k
        table = np.zeros((len(self._params), k.NCOLS), np.int64)
        for r, p in enumerate(self._params):
            table[r, k.N] = p.numel()
            k.put(table, r, k.P, p._data)
            g = p._grad
            # callers checked that gradients are contiguous
            if with_grads and g is not None and not k.put(table, r, k.G, g._data):
                raise RuntimeError("LBFGS: a gradient is not contiguous")
        return table

    def _gather_flat_grad(self):
        p0 = self._params[0]
        if self._on_cpu() and all(p._grad is None or p._grad.is_contiguous()
                                  for p in self._params):
            from nbgrad.backends.cpu import optim_kernels as k
            out = _factories.empty(self._numel(), dtype=p0.dtype)
            k.gather_flat(self._table(True), p0._data.reshape(-1)[:0], out._data)
            return out
        from nbgrad.ops.joining import cat
        views = [_factories.zeros(p.numel(), dtype=p.dtype, device=p.device)
                 if p._grad is None else p._grad.reshape(-1) for p in self._params]
        return cat(views, 0)

    def _add_grad(self, step_size, update):
        if self._on_cpu() and update.is_contiguous():
            from nbgrad.backends.cpu import optim_kernels as k
            p0 = self._params[0]
            k.axpy_flat(self._table(False), p0._data.reshape(-1)[:0], float(step_size),
                        update._data.reshape(-1))
            for p in self._params:
                p._bump_version()
            return
        offset = 0
        for p in self._params:
            numel = p.numel()
            p.add_(update[offset:offset + numel].view_as(p), alpha=step_size)
            offset += numel
        assert offset == self._numel()

    def _clone_param(self):
        return [p.clone() for p in self._params]

    def _set_param(self, params_data):
        for p, pdata in zip(self._params, params_data):
            p.copy_(pdata)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def _direction(self, flat_grad, old_dirs, old_stps, ro, h_diag, al):
        """-H @ flat_grad by the two-loop recursion (one kernel on the CPU)."""
        if self._on_cpu() and flat_grad.is_contiguous():
            from nbgrad.backends.cpu import optim_kernels as k
            m = len(old_dirs)
            dirs = np.array([y._data.ctypes.data for y in old_dirs], np.int64)
            stps = np.array([s._data.ctypes.data for s in old_stps], np.int64)
            al_np = np.zeros(m)
            out = _factories.empty(flat_grad.numel(), dtype=flat_grad.dtype)
            k.lbfgs_direction(flat_grad._data, dirs, stps, np.array(ro, np.float64),
                              float(h_diag), al_np, out._data)
            al[:m] = [float(a) for a in al_np]
            return out
        q = flat_grad.neg()
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = _dot(old_stps[i], q) * ro[i]
            q.add_(old_dirs[i], alpha=-al[i])
        r = q.mul(h_diag)
        for i in range(len(old_dirs)):
            be_i = _dot(old_dirs[i], r) * ro[i]
            r.add_(old_stps[i], alpha=al[i] - be_i)
        return r

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; `closure` (required) clears the
        gradients, computes the loss, calls ``backward`` and returns the loss."""
        group = self.param_groups[0]

        def grad_closure():
            with enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = grad_closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if _abs_max(flat_grad) <= group["tolerance_grad"]:
            return orig_loss
        self._iterate(group, state, grad_closure, loss, flat_grad)
        return orig_loss

    def _new_direction(self, state, flat_grad, history_size):
        """The search direction: steepest descent at the first iteration, else the
        L-BFGS direction after adding the last step to the history (kept in `state`)."""
        if state["n_iter"] == 1:
            state.update({"old_dirs": [], "old_stps": [], "ro": [], "H_diag": 1})
            return flat_grad.neg()
        old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        y = flat_grad.sub(state["prev_flat_grad"])
        s = state["d"].mul(state["t"])
        ys = _dot(y, s)
        if ys > 1e-10:      # keep the pair only if it keeps H positive definite
            if len(old_dirs) == history_size:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            state["H_diag"] = ys / _dot(y, y)
        if "al" not in state:
            state["al"] = [None] * history_size
        return self._direction(flat_grad, old_dirs, old_stps, ro, state["H_diag"], state["al"])

    def _move(self, group, closure, loss, flat_grad, t, d, gtd, evals_left, last):
        """Move along `d`: by the line search's step, or by `t` (then re-evaluate unless
        this is the `last` iteration).  Returns (loss, flat_grad, t, evaluations, opt_cond)."""
        if group["line_search_fn"] is not None:
            if group["line_search_fn"] != "strong_wolfe":   # PyTorch checks it only here
                raise RuntimeError("only 'strong_wolfe' is supported")
            x_init = self._clone_param()

            def obj_func(x, t, d):
                return self._directional_evaluate(closure, x, t, d)

            loss, flat_grad, t, evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad,
                                                      gtd, max_ls=evals_left)
            self._add_grad(t, d)
            return loss, flat_grad, t, evals, _abs_max(flat_grad) <= group["tolerance_grad"]
        self._add_grad(t, d)
        if last:
            return loss, flat_grad, t, 0, None
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        return loss, flat_grad, t, 1, _abs_max(flat_grad) <= group["tolerance_grad"]

    def _iterate(self, group, state, closure, loss, flat_grad):
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_change = group["tolerance_change"]
        n_iter, current_evals = 0, 1
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            d = state["d"] = self._new_direction(state, flat_grad, group["history_size"])
            if state.get("prev_flat_grad") is None:
                state["prev_flat_grad"] = flat_grad.clone()
            else:
                state["prev_flat_grad"].copy_(flat_grad)
            prev_loss = state["prev_loss"] = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / flat_grad.abs().sum().item()) * lr
            else:
                t = lr
            state["t"] = t
            gtd = _dot(flat_grad, d)
            if gtd > -tolerance_change:     # not a descent direction
                break
            loss, flat_grad, t, evals, opt_cond = self._move(
                group, closure, loss, flat_grad, t, d, gtd, max_eval - current_evals,
                n_iter == max_iter)
            state["t"] = t
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if _abs_max(d.mul(t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        for key in _STATE_ORDER:     # PyTorch stores these last, in this order
            state[key] = state.pop(key)
