"""Recurrent layers ``RNN`` / ``LSTM`` / ``GRU`` (num_layers, bias, batch_first,
dropout between layers, bidirectional; LSTM's proj_size) and their cells,
with PyTorch's parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse`` ...),
gate order (LSTM: i, f, g, o; GRU: r, z, n), initialisation
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) and checks.

Each time step is composed from matmul, sigmoid and tanh; the input
projection of a whole sequence is one matrix product per layer and direction.
PackedSequence input is not supported.
"""

import math
import numbers
import warnings

import nbgrad as nb
from nbgrad.nn import functional as F
from nbgrad.nn import init
from nbgrad.nn.modules._settings import keep_arguments
from nbgrad.nn.modules.module import Module, non_default_settings
from nbgrad.nn.parameter import Parameter

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# -- one time step (xw: the input's projection x W_ih^T + b_ih) ----------------------
def _hidden(h, w_hh, b_hh):
    return F.linear(h, w_hh, b_hh)


def _rnn_step(mode, xw, state, w_hh, b_hh, w_hr):
    pre = xw + _hidden(state[0], w_hh, b_hh)
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu(),)


def _lstm_step(mode, xw, state, w_hh, b_hh, w_hr):
    h, c = state
    i, f, g, o = (xw + _hidden(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(mode, xw, state, w_hh, b_hh, w_hr):
    h = state[0]
    xr, xz, xn = xw.chunk(3, -1)
    hr, hz, hn = _hidden(h, w_hh, b_hh).chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return ((1 - z) * n + z * h,)


_STEP = {"LSTM": _lstm_step, "GRU": _gru_step, "RNN_TANH": _rnn_step, "RNN_RELU": _rnn_step}


def _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
    if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
            or isinstance(dropout, bool)):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=4)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                            f"{type(value).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable "
                         "projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNNBase(Module):
    """The layers, directions and parameters shared by RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        dropout = float(dropout)
        keep_arguments(self, locals(), ("mode", "input_size", "hidden_size", "num_layers", "bias",
                                        "batch_first", "dropout", "bidirectional", "proj_size"))
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(self._directions):
                self._all_weights.append(self._make_layer(layer, direction, device, dtype))
        self.reset_parameters()

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def _make_layer(self, layer, direction, device, dtype):
        gate = _GATES[self.mode] * self.hidden_size
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        layer_input = self.input_size if layer == 0 else real_hidden * self._directions
        shapes = [("weight_ih_l{}{}", (gate, layer_input)), ("weight_hh_l{}{}", (gate,
                                                                               real_hidden))]
        if self.bias:
            shapes += [("bias_ih_l{}{}", (gate,)), ("bias_hh_l{}{}", (gate,))]
        if self.proj_size > 0:
            shapes += [("weight_hr_l{}{}", (self.proj_size, self.hidden_size))]
        suffix = "_reverse" if direction == 1 else ""
        names = []
        for fmt, shape in shapes:
            name = fmt.format(layer, suffix)
            setattr(self, name, Parameter(nb.empty(shape, dtype=dtype, device=device)))
            names.append(name)
        return names

    @property
    def all_weights(self):
        return [[getattr(self, w) for w in weights] for weights in self._all_weights]

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op (there is no cuDNN weight buffer to compact)."""

    def _layer_params(self, layer, direction):
        s = f"_l{layer}" + ("_reverse" if direction else "")
        p = self._parameters
        return (p["weight_ih" + s], p["weight_hh" + s], p.get("bias_ih" + s),
                p.get("bias_hh" + s), p.get("weight_hr" + s))

    # -- checks ------------------------------------------------------------------
    def check_input(self, input, batch_sizes=None):
        w = self._parameters["weight_ih_l0"]
        if input.dtype is not w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes=None):
        batch = input.size(0) if self.batch_first else input.size(1)
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * self._directions, batch, size)

    def check_hidden_size(self, hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    # -- the recurrence ------------------------------------------------------------
    def _run_direction(self, x, state, layer, direction):
        """The outputs (T, N, H) and final state of one layer in one direction."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_params(layer, direction)
        step = _STEP[self.mode]
        xw = F.linear(x, w_ih, b_ih)
        steps = x.shape[0]
        outs = [None] * steps
        for t in (reversed(range(steps)) if direction else range(steps)):
            state = step(self.mode, xw[t], state, w_hh, b_hh, w_hr)
            outs[t] = state[0]
        return nb.stack(outs, 0), state

    def _run(self, x, states):
        """Every layer over time-major `x`; `states[i]` is the initial state tuple of
        layer-direction i.  Returns the last layer's output and the final states."""
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self._directions):
                out, st = self._run_direction(x, states[layer * self._directions + d],
                                              layer, d)
                outs.append(out)
                finals.append(st)
            x = outs[0] if len(outs) == 1 else nb.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals

    def _prepare(self, input, name):
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             f"{'tensor ' if name == 'RNN' else ''}instead")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, is_batched

    def _zeros(self, input, size):
        batch = input.size(0) if self.batch_first else input.size(1)
        return nb.zeros(self.num_layers * self._directions, batch, size, dtype=input.dtype,
                        device=input.device)

    def _finish(self, out, is_batched):
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(0 if self.batch_first else 1)
        return out

    def _time_major(self, input):
        return input.transpose(0, 1) if self.batch_first else input

    def _single_state_forward(self, input, hx, name):
        """RNN and GRU: one hidden state per layer-direction."""
        input, is_batched = self._prepare(input, name)
        if hx is not None:
            want = 3 if is_batched else 2
            if hx.dim() != want:
                raise RuntimeError(
                    f"For {'batched 3-D' if is_batched else 'unbatched 2-D'} input, hx should "
                    f"also be {want}-D but got {hx.dim()}-D tensor")
            if not is_batched:
                hx = hx.unsqueeze(1)
        else:
            hx = self._zeros(input, self.hidden_size)
        self.check_forward_args(input, hx)
        out, finals = self._run(self._time_major(input), [(h,) for h in hx.unbind(0)])
        h_n = nb.stack([s[0] for s in finals], 0)
        return self._finish(out, is_batched), (h_n if is_batched else h_n.squeeze(1))

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + non_default_settings(self, (
            ("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False),
            ("dropout", 0), ("bidirectional", False)))


class RNN(RNNBase):
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu):
    ``nn.RNN(10, 20, num_layers=2)``; returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._single_state_forward(input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n): ``nn.GRU(10, 20)``; returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._single_state_forward(input, hx, "GRU")


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o; optional projection of h to
    proj_size): ``nn.LSTM(10, 20, batch_first=True)``; returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes=None):
        batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * self._directions, batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input, hx=None):
        input, is_batched = self._prepare(input, "LSTM")
        if hx is None:
            real = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, real), self._zeros(input, self.hidden_size))
        else:
            want = 3 if is_batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not is_batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        states = list(zip(hx[0].unbind(0), hx[1].unbind(0)))
        out, finals = self._run(self._time_major(input), states)
        h_n = nb.stack([s[0] for s in finals], 0)
        c_n = nb.stack([s[1] for s in finals], 0)
        if not is_batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(out, is_batched), (h_n, c_n)


class RNNCellBase(Module):
    """Parameters and checks shared by the cells (one time step)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(nb.empty((g, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(nb.empty((g, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(nb.empty(g, dtype=dtype, device=device))
            self.bias_hh = Parameter(nb.empty(g, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, name, input, hx, what="hidden"):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {hx.dim()}D "
                             "instead")

    def _step(self, mode, input, state):
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        return _STEP[mode](mode, xw, state, self.weight_hh, self.bias_hh, None)

    def _zeros(self, input):
        return nb.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``nn.RNNCell(10, 20)(x, h)``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check("RNNCell", input, hx)
        batched = input.dim() == 2
        input = input if batched else input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = self._step(mode, input, (hx,))[0]
        return h if batched else h.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step: ``nn.GRUCell(10, 20)(x, h)``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        self._check("GRUCell", input, hx)
        batched = input.dim() == 2
        input = input if batched else input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        h = self._step("GRU", input, (hx,))[0]
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``h, c = nn.LSTMCell(10, 20)(x, (h, c))``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        batched = input.dim() == 2
        input = input if batched else input.unsqueeze(0)
        if hx is None:
            hx = (self._zeros(input), self._zeros(input))
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = self._step("LSTM", input, hx)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
