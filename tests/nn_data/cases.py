"""The nn cases recorded from PyTorch (`record_nn.py`) and replayed on nbgrad
(`tests/test_nn_modules.py`, `tests/test_nn_module_api.py`).  Pure data and
code strings: nothing here imports torch.

Code strings run with ``torch`` bound to PyTorch (recording) or nbgrad
(testing), ``nn`` to its ``nn`` and ``F`` to ``nn.functional``.

Input specs (generated once with NumPy by the recorder and stored with the data):
  ("randn", shape)        float64 N(0, 1), requires grad
  ("randn2", shape)       float64 N(0, 4), requires grad (activations: wider range)
  ("const", shape)        float64 N(0, 1), no grad (a target)
  ("unit", shape)         float64 U(0.05, 0.95), requires grad (probabilities)
  ("unit_t", shape)       float64 U(0, 1), no grad (a binary target)
  ("probs", shape)        float64 softmax over dim 1 of N(0, 1), no grad
  ("logprobs", shape)     float64 log_softmax over dim 1 of N(0, 1), requires grad
  ("sign", shape)         float64 in {-1, 1}, no grad
  ("randint", shape, n)   int64 in [0, n)
  ("index", nested list)  int64, as given
  ("tuple", [specs])      a tuple of inputs (an LSTM's (h0, c0))
"""

W = "dtype=torch.float64"

# Models defined by user code (exec'ed with nn bound), used by MODULE_CASES and REPRS.
MODEL_SRC = '''
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_like = nn.Linear(4, 6)
        self.block = nn.Sequential(nn.Tanh(), nn.Linear(6, 6), nn.GELU())
        self.heads = nn.ModuleList([nn.Linear(6, 2), nn.Linear(6, 2)])
        self.bn = nn.BatchNorm1d(6)
        self.scale = nn.Parameter(torch.ones(2, dtype=torch.float64))
        self.register_buffer("offset", torch.zeros(2, dtype=torch.float64))

    def forward(self, x):
        h = self.bn(self.block(self.conv_like(x)))
        return (self.heads[0](h) + self.heads[1](h)) * self.scale + self.offset


class Tiny(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.lin = nn.Linear(n, n)

    def extra_repr(self):
        return "tiny=True"
'''

_ACT = [("nn.ReLU()", ()), ("nn.LeakyReLU(0.2)", ()), ("nn.ELU(alpha=0.7)", ()),
        ("nn.GELU()", ()), ("nn.GELU(approximate='tanh')", ()), ("nn.SiLU()", ()),
        ("nn.Tanh()", ()), ("nn.Sigmoid()", ()), ("nn.Softplus()", ()),
        ("nn.Softplus(beta=2.0, threshold=5.0)", ()), ("nn.Hardtanh()", ()),
        ("nn.Hardtanh(-2.0, 0.5)", ()), ("nn.ReLU6()", ()), ("nn.SELU()", ()),
        ("nn.CELU(alpha=0.5)", ()), ("nn.Mish()", ()), ("nn.Softsign()", ()),
        ("nn.LogSigmoid()", ()), ("nn.Hardsigmoid()", ()), ("nn.Hardswish()", ()),
        ("nn.Tanhshrink()", ()), ("nn.Hardshrink(0.3)", ()), ("nn.Softshrink(0.3)", ()),
        ("nn.Threshold(0.1, -3.0)", ()), ("nn.RReLU()", ("eval",)), ("nn.GLU()", ()),
        ("nn.GLU(dim=0)", ()), ("nn.Softmax(dim=1)", ()), ("nn.Softmax(dim=0)", ()),
        ("nn.LogSoftmax(dim=1)", ()), ("nn.Softmin(dim=1)", ())]

MODULE_CASES = [
    {"make": f"nn.Linear(4, 3, {W})", "inputs": [("randn", (5, 4))]},
    {"make": f"nn.Linear(4, 3, bias=False, {W})", "inputs": [("randn", (2, 5, 4))]},
    {"make": f"nn.Linear(4, 3, {W})", "inputs": [("randn", (4,))]},
    {"make": f"nn.Bilinear(3, 4, 2, {W})", "inputs": [("randn", (5, 3)), ("randn", (5, 4))]},
    {"make": "nn.Identity(3, unused=1)", "inputs": [("randn", (2, 3))]},
    {"make": f"nn.Embedding(10, 3, {W})", "inputs": [("randint", (2, 4), 10)]},
    {"make": f"nn.Embedding(10, 3, padding_idx=1, {W})",
         "inputs": [("index", [[1, 2, 1], [3, 1, 0]])]},
    {"make": f"nn.Embedding(6, 4, padding_idx=-1, {W})", "inputs": [("index", [5, 0, 5, 2])]},
    {"make": "nn.Flatten()", "inputs": [("randn", (2, 3, 4))]},
    {"make": "nn.Flatten(0, 1)", "inputs": [("randn", (2, 3, 4))]},
    {"make": "nn.Unflatten(1, (2, 3))", "inputs": [("randn", (4, 6))]},
    {"make": "nn.Dropout(0.3)", "inputs": [("randn", (4, 6))], "mode": "eval"},
    {"make": "nn.Dropout(0.0)", "inputs": [("randn", (4, 6))]},
    *[{"make": m, "inputs": [("randn2", (4, 6))], "mode": "eval" if "eval" in f else "train"}
      for m, f in _ACT],
    {"make": "nn.Softmax2d()", "inputs": [("randn", (2, 3, 4, 4))]},
    {"make": "nn.LogSoftmax(dim=-1)", "inputs": [("randn", (2, 3, 5))]},
    {"make": f"nn.PReLU({W})", "inputs": [("randn", (4, 3, 5))]},
    {"make": f"nn.PReLU(3, init=0.1, {W})", "inputs": [("randn", (4, 3, 5))]},
    {"make": f"nn.BatchNorm1d(3, {W})", "inputs": [("randn", (6, 3))]},
    {"make": f"nn.BatchNorm1d(3, {W})", "inputs": [("randn", (4, 3, 5))], "calls": 3},
    {"make": f"nn.BatchNorm1d(3, momentum=None, {W})", "inputs": [("randn", (6, 3))], "calls": 3},
    {"make": f"nn.BatchNorm1d(3, affine=False, {W})", "inputs": [("randn", (6, 3))]},
    {"make": f"nn.BatchNorm1d(3, track_running_stats=False, {W})", "inputs": [("randn", (6, 3))],
         "mode": "eval"},
    {"make": f"nn.BatchNorm1d(3, {W})", "inputs": [("randn", (6, 3))], "mode": "eval",
         "setup": "m.running_mean.uniform_(-1, 1); m.running_var.uniform_(0.5, 2); "
               "m.weight.data.uniform_(0.5, 2); m.bias.data.uniform_(-1, 1)"},
    {"make": f"nn.BatchNorm2d(3, {W})", "inputs": [("randn", (4, 3, 2, 2))], "calls": 2,
         "setup": "m.weight.data.uniform_(0.5, 2); m.bias.data.uniform_(-1, 1)"},
    {"make": f"nn.BatchNorm2d(3, momentum=0.3, eps=1e-3, {W})",
         "inputs": [("randn", (2, 3, 3, 2))], "mode": "eval",
         "setup": "m.running_mean.uniform_(-1, 1); m.running_var.uniform_(0.5, 2)"},
    {"make": f"nn.LayerNorm(5, {W})", "inputs": [("randn", (3, 5))],
         "setup": "m.weight.data.uniform_(0.5, 2); m.bias.data.uniform_(-1, 1)"},
    {"make": f"nn.LayerNorm((3, 5), eps=1e-3, {W})", "inputs": [("randn", (2, 3, 5))]},
    {"make": f"nn.LayerNorm(5, elementwise_affine=False, {W})", "inputs": [("randn", (2, 3, 5))]},
    {"make": f"nn.LayerNorm(5, bias=False, {W})", "inputs": [("randn", (3, 5))]},
    {"make": f"nn.GroupNorm(2, 4, {W})", "inputs": [("randn", (3, 4, 5))],
         "setup": "m.weight.data.uniform_(0.5, 2); m.bias.data.uniform_(-1, 1)"},
    {"make": f"nn.GroupNorm(1, 4, affine=False, {W})", "inputs": [("randn", (2, 4, 2, 3))]},
    {"make": f"nn.GroupNorm(4, 4, {W})", "inputs": [("randn", (2, 4, 3))]},
    {"make": f"nn.RNN(4, 5, {W})", "inputs": [("randn", (3, 2, 4))]},
    {"make": f"nn.RNN(4, 5, num_layers=2, nonlinearity='relu', {W})",
         "inputs": [("randn", (3, 2, 4)), ("randn", (2, 2, 5))]},
    {"make": f"nn.RNN(4, 5, batch_first=True, bidirectional=True, {W})",
         "inputs": [("randn", (2, 3, 4))]},
    {"make": f"nn.RNN(4, 5, bias=False, {W})", "inputs": [("randn", (3, 4))]},
    {"make": f"nn.LSTM(4, 5, {W})", "inputs": [("randn", (3, 2, 4))]},
    {"make": f"nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True, {W})",
         "inputs": [("randn", (2, 3, 4))]},
    {"make": f"nn.LSTM(4, 5, {W})",
         "inputs": [("randn", (3, 2, 4)), ("tuple", [("randn", (1, 2, 5)), ("randn", (1, 2, 5))])]},
    {"make": f"nn.LSTM(4, 5, proj_size=3, num_layers=2, {W})", "inputs": [("randn", (3, 2, 4))]},
    {"make": f"nn.LSTM(4, 5, {W})", "inputs": [("randn", (3, 4))]},
    {"make": f"nn.GRU(4, 5, {W})", "inputs": [("randn", (3, 2, 4))]},
    {"make": f"nn.GRU(4, 5, num_layers=2, bidirectional=True, {W})",
         "inputs": [("randn", (3, 2, 4)), ("randn", (4, 2, 5))]},
    {"make": f"nn.GRU(4, 5, batch_first=True, {W})", "inputs": [("randn", (2, 3, 4))]},
    {"make": f"nn.RNNCell(4, 5, {W})", "inputs": [("randn", (2, 4)), ("randn", (2, 5))]},
    {"make": f"nn.RNNCell(4, 5, nonlinearity='relu', bias=False, {W})",
         "inputs": [("randn", (4,))]},
    {"make": f"nn.LSTMCell(4, 5, {W})",
         "inputs": [("randn", (2, 4)), ("tuple", [("randn", (2, 5)), ("randn", (2, 5))])]},
    {"make": f"nn.LSTMCell(4, 5, {W})", "inputs": [("randn", (4,))]},
    {"make": f"nn.GRUCell(4, 5, {W})", "inputs": [("randn", (2, 4)), ("randn", (2, 5))]},
    {"make": f"nn.GRUCell(4, 5, {W})", "inputs": [("randn", (2, 4))]},
    {"make": "nn.MSELoss()", "inputs": [("randn", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.MSELoss(reduction='sum')", "inputs": [("randn", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.L1Loss(reduction='none')", "inputs": [("randn", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.SmoothL1Loss()", "inputs": [("randn2", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.SmoothL1Loss(beta=0.5, reduction='sum')",
         "inputs": [("randn2", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.HuberLoss(delta=0.7)", "inputs": [("randn2", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.HuberLoss(reduction='none', delta=2.0)",
         "inputs": [("randn2", (4, 3)), ("const", (4, 3))]},
    {"make": "nn.CrossEntropyLoss()", "inputs": [("randn", (5, 4)), ("randint", (5,), 4)]},
    {"make": f"nn.CrossEntropyLoss(weight=torch.tensor([1., 2., .5, 1.5], {W}))",
         "inputs": [("randn", (5, 4)), ("randint", (5,), 4)]},
    {"make": "nn.CrossEntropyLoss(ignore_index=2)",
         "inputs": [("randn", (5, 4)), ("index", [0, 2, 1, 2, 3])]},
    {"make": "nn.CrossEntropyLoss(label_smoothing=0.1)",
         "inputs": [("randn", (5, 4)), ("randint", (5,), 4)]},
    {"make": f"nn.CrossEntropyLoss(weight=torch.tensor([1., 2., .5], {W}), "
              "label_smoothing=0.2, reduction='sum')",
         "inputs": [("randn", (4, 3, 2)), ("randint", (4, 2), 3)]},
    {"make": "nn.CrossEntropyLoss()", "inputs": [("randn", (5, 4)), ("probs", (5, 4))]},
    {"make": "nn.CrossEntropyLoss(label_smoothing=0.3, reduction='none')",
         "inputs": [("randn", (5, 4)), ("probs", (5, 4))]},
    {"make": "nn.NLLLoss()", "inputs": [("logprobs", (5, 4)), ("randint", (5,), 4)]},
    {"make": f"nn.NLLLoss(weight=torch.tensor([1., 2., .5, 1.5], {W}), reduction='sum')",
         "inputs": [("logprobs", (5, 4)), ("randint", (5,), 4)]},
    {"make": "nn.BCELoss()", "inputs": [("unit", (4, 3)), ("unit_t", (4, 3))]},
    {"make": f"nn.BCELoss(weight=torch.tensor([1., 2., .5], {W}), reduction='sum')",
         "inputs": [("unit", (4, 3)), ("unit_t", (4, 3))]},
    {"make": "nn.BCEWithLogitsLoss()", "inputs": [("randn2", (4, 3)), ("unit_t", (4, 3))]},
    {"make": f"nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1., 3., .5], {W}))",
         "inputs": [("randn2", (4, 3)), ("unit_t", (4, 3))]},
    {"make": "nn.KLDivLoss(reduction='batchmean')",
         "inputs": [("logprobs", (4, 5)), ("probs", (4, 5))]},
    {"make": "nn.KLDivLoss(reduction='sum', log_target=True)",
         "inputs": [("logprobs", (4, 5)), ("logprobs", (4, 5))]},
    {"make": "nn.KLDivLoss()", "inputs": [("logprobs", (4, 5)), ("probs", (4, 5))]},
    {"make": "nn.SoftMarginLoss()", "inputs": [("randn", (4, 3)), ("sign", (4, 3))]},
    {"make": "nn.HingeEmbeddingLoss(margin=0.5)", "inputs": [("randn", (4, 3)), ("sign", (4, 3))]},
    {"make": "nn.MarginRankingLoss(margin=0.1)",
         "inputs": [("randn", (6,)), ("randn", (6,)), ("sign", (6,))]},
    {"make": "nn.CosineEmbeddingLoss(margin=0.2)",
         "inputs": [("randn", (4, 5)), ("randn", (4, 5)), ("sign", (4,))]},
    {"make": "nn.PoissonNLLLoss()", "inputs": [("randn", (4, 3)), ("unit_t", (4, 3))]},
    {"make": "nn.GaussianNLLLoss()",
         "inputs": [("randn", (4, 3)), ("const", (4, 3)), ("unit", (4, 3))]},
    {"make": f"nn.Sequential(nn.Linear(4, 8, {W}), nn.Tanh(), nn.Linear(8, 3, {W}))",
         "inputs": [("randn", (5, 4))]},
    {"make": "Net()", "inputs": [("randn", (5, 4))]},
    # convolutions and pools (small shapes; "fork_rng": recorded with a generator of
    # their own, so the cases recorded before them kept their data)
    *[{"make": m, "inputs": [("randn", shape)], "fork_rng": True} for m, shape in [
        (f"nn.Conv2d(3, 4, 3, {W})", (2, 3, 6, 5)),
        (f"nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2, "
         f"{W})", (2, 4, 7, 6)),
        (f"nn.Conv2d(2, 3, (2, 4), padding='same', bias=False, {W})", (1, 2, 5, 5)),
        (f"nn.Conv2d(2, 2, 3, padding='valid', {W})", (2, 5, 4)),
        (f"nn.Conv1d(3, 4, 3, stride=2, padding=1, {W})", (2, 3, 9)),
        (f"nn.Conv1d(4, 4, 2, padding='same', dilation=3, groups=4, {W})", (2, 4, 8)),
        ("nn.MaxPool2d(2)", (2, 3, 6, 5)),
        ("nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, ceil_mode=True)", (2, 2, 7, 5)),
        ("nn.MaxPool2d(2, stride=1, dilation=2, return_indices=True)", (1, 2, 6, 6)),
        ("nn.MaxPool1d(3, stride=2, padding=1)", (2, 3, 10)),
        ("nn.AvgPool2d(2)", (2, 3, 6, 5)),
        ("nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
         (2, 2, 7, 6)),
        ("nn.AvgPool2d((2, 3), padding=(1, 1), divisor_override=4)", (1, 2, 5, 6)),
        ("nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)", (2, 3, 10)),
        ("nn.AdaptiveAvgPool2d((3, 2))", (2, 3, 7, 5)),
        ("nn.AdaptiveAvgPool2d((None, 4))", (2, 2, 5, 7)),
        ("nn.AdaptiveAvgPool1d(4)", (2, 3, 9)),
        (f"nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, {W}), nn.ReLU(), nn.MaxPool2d(2), "
         f"nn.Conv2d(4, 6, 3, {W}), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), "
         f"nn.Linear(6, 3, {W}))", (3, 1, 8, 8))]],
]

# print(module) of each of these must be PyTorch's
REPRS = [
    "nn.Linear(3, 4)", "nn.Linear(3, 4, bias=False)", "nn.Bilinear(2, 3, 4)", "nn.Identity()",
    "nn.Embedding(10, 3)", "nn.Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0)",
    "nn.Flatten()", "nn.Unflatten(1, (2, 5))", "nn.Dropout()", "nn.Dropout(0.1, inplace=True)",
    *[m for m, _ in _ACT], "nn.ReLU(inplace=True)", "nn.LeakyReLU(inplace=True)",
    "nn.Softmax()", "nn.Softmax2d()", "nn.PReLU()", "nn.PReLU(8)", "nn.RReLU(0.1, 0.3)",
    "nn.ReLU6(inplace=True)", "nn.SiLU(inplace=True)", "nn.Hardswish(inplace=True)",
    "nn.BatchNorm1d(3)", "nn.BatchNorm2d(8, momentum=None, affine=False)",
    "nn.BatchNorm2d(8, track_running_stats=False)", "nn.BatchNorm1d(4, bias=False)",
    "nn.LayerNorm(5)", "nn.LayerNorm((3, 5), eps=1e-3, elementwise_affine=False)",
    "nn.LayerNorm(5, bias=False)", "nn.GroupNorm(2, 4)", "nn.GroupNorm(1, 4, affine=False)",
    "nn.RNN(4, 5)", ("nn.RNN(4, 5, 2, nonlinearity='relu', bias=False, batch_first=True, "
    "dropout=0.5, bidirectional=True)"), "nn.LSTM(4, 5, proj_size=2)", "nn.GRU(3, 3, 3)",
    "nn.RNNCell(4, 5)", "nn.RNNCell(4, 5, bias=False, nonlinearity='relu')",
    "nn.LSTMCell(4, 5)", "nn.GRUCell(4, 5, bias=False)",
    "nn.MSELoss()", "nn.CrossEntropyLoss(label_smoothing=0.1)", "nn.BCEWithLogitsLoss()",
    "nn.KLDivLoss()", "nn.HuberLoss()", "nn.SmoothL1Loss()", "nn.NLLLoss()",
    "nn.Conv1d(16, 33, 3, stride=2)", "nn.Conv2d(1, 16, 3, padding=1)",
    ("nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1), groups=1, "
    "bias=False)"), "nn.Conv2d(4, 8, 3, padding='same', groups=2, padding_mode='reflect')",
    "nn.MaxPool2d(2)", "nn.MaxPool2d((3, 2), stride=(2, 1), ceil_mode=True)", "nn.MaxPool1d(3)",
    "nn.AvgPool2d(2)", "nn.AvgPool1d(3, stride=2)", "nn.AdaptiveAvgPool2d((1, 1))",
    "nn.AdaptiveAvgPool1d(5)",
    "nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3), nn.Tanh()))",
    "nn.Sequential()", "nn.ModuleList()",
    ("nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), "
    "nn.Linear(2, 2)])"),
    "nn.ModuleList([nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(3)])",
    "nn.ModuleDict({'act': nn.ReLU(), 'lin': nn.Linear(2, 3)})",
    "nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), torch.ones(4, dtype=torch.float64)])",
    "nn.ParameterDict({'b': nn.Parameter(torch.zeros(2)), 'a': torch.ones(3, 1)})",
    "Net()", "Tiny()", "nn.Sequential(Tiny(), nn.ModuleList([Tiny(2)]))",
]

# Module API snippets: the last line is an expression; its value (or the exception) is
# recorded.  Exception messages are compared with 'nbgrad.' read as 'torch.'.
API_CASES = [
    # registration and attribute errors
    "m = nn.Module(); m.w = nn.Parameter(torch.ones(2)); [n for n, _ in m.named_parameters()]",
    "m = nn.Linear(2, 3); m.weight = torch.ones(3, 2)",
    "m = nn.Linear(2, 3); m.weight = None; [n for n, _ in m.named_parameters()]",
    "m = nn.Sequential(nn.ReLU()); m._modules['0']; m.add_module('0', 3)",
    "m = nn.Module(); m.add_module('a.b', nn.ReLU())",
    "m = nn.Module(); m.add_module('', nn.ReLU())",
    "m = nn.Module(); m.add_module(1, nn.ReLU())",
    "m = nn.Module(); m.x = 1; m.add_module('x', nn.ReLU())",
    "m = nn.Module(); m.register_buffer('b', 3)",
    "m = nn.Module(); m.register_buffer('a.b', torch.ones(1))",
    "m = nn.Module(); m.register_buffer('', torch.ones(1))",
    "m = nn.Module(); m.register_parameter('p', torch.ones(1))",
    "m = nn.Module(); m.register_parameter('p', nn.Parameter(torch.ones(1)) * 2)",
    "m = nn.Module(); m.register_parameter('a.b', None)",
    "m = nn.Module(); m.lin = nn.Linear(1, 1); m.lin = 3",
    "m = nn.Module(); m.register_buffer('b', torch.ones(1)); m.b = 'x'",
    "m = nn.Module(); m.register_buffer('b', torch.ones(1)); m.b = torch.zeros(2); m.b",
    ("m = nn.Module(); m.b = nn.Buffer(torch.ones(2), persistent=False); "
    "(list(m.state_dict()), [n for n, _ in m.named_buffers()])"),
    ("m = nn.Module(); m.register_buffer('b', torch.ones(1), persistent=False); "
     "list(m.state_dict())"),
    "m = nn.Linear(2, 2); m.nothing",
    "m = nn.Linear(2, 2); del m.bias; [n for n, _ in m.named_parameters()]",
    "m = nn.Linear(2, 2); del m.nothing",
    ("class M("
     "nn.Module):\n    def __init__(self):\n        self.w = nn.Parameter(torch.ones(1))\nM()"),
    "class M(nn.Module):\n    def __init__(self):\n        self.l = nn.Linear(1, 1)\nM()",
    "class M(nn.Module):\n    def __init__(self):\n        self.register_buffer('b', None)\nM()",
    "nn.Module()(torch.ones(1))",
    "nn.Module(3)",
    "nn.Module(a=3)",
    ("m = nn.Linear(2, 2); m.p = nn.Parameter(torch.ones(1)); m.p = nn.Linear(1, 1); "
    "([n for n, _ in m.named_parameters()], [n for n, _ in m.named_children()])"),
    ("m = nn.Linear(2, 2); m.lin = nn.Linear(1, 1); m.lin = nn.Parameter(torch.ones(1)); "
    "([n for n, _ in m.named_parameters()], [n for n, _ in m.named_children()])"),
    "m = nn.Linear(2, 2); 'weight' in dir(m) and 'forward' in dir(m) and 'training' in dir(m)",
    "m = nn.Sequential(nn.ReLU()); any(k[0].isdigit() for k in dir(m))",
    # lookup
    "m = Net(); m.get_submodule('block.1').out_features",
    "m = Net(); m.get_submodule('block.5')",
    "m = Net(); m.get_submodule('scale')",
    "m = Net(); m.get_submodule('')._get_name()",
    "m = Net(); tuple(m.get_parameter('heads.1.bias').shape)",
    "m = Net(); m.get_parameter('offset')",
    "m = Net(); m.get_parameter('heads.nothing')",
    "m = Net(); tuple(m.get_buffer('bn.running_mean').shape)",
    "m = Net(); m.get_buffer('scale')",
    # iteration
    "m = Net(); [n for n, _ in m.named_parameters()]",
    "m = Net(); [n for n, _ in m.named_buffers()]",
    "m = Net(); [n for n, _ in m.named_modules()]",
    "m = Net(); [n for n, _ in m.named_children()]",
    "m = Net(); [type(c).__name__ for c in m.children()]",
    "m = Net(); [type(c).__name__ for c in m.modules()]",
    "m = Net(); [n for n, _ in m.named_parameters(prefix='net', recurse=False)]",
    "m = Net(); len(list(m.parameters())), len(list(m.buffers(recurse=False)))",
    ("l = nn.Linear(2, 2); s = nn.Sequential(l, l, nn.ReLU()); "
    "([n for n, _ in s.named_parameters()], [n for n, _ in s.named_modules()], "
    "len(list(s.children())))"),
    ("l = nn.Linear(2, 2); s = nn.Sequential(l, l); "
     "[n for n, _ in s.named_modules(remove_duplicate=False)]"),
    ("l = nn.Linear(2, 2); s = nn.Sequential(l, l); "
    "[n for n, _ in s.named_parameters(remove_duplicate=False)]"),
    "m = nn.Linear(2, 2); m.w2 = m.weight; [n for n, _ in m.named_parameters()]",
    # modes and gradients
    "m = Net(); m.eval(); [x.training for x in m.modules()]",
    "m = Net(); m.eval().train(); [x.training for x in m.modules()]",
    "m = Net(); m.train('yes')",
    "m = Net(); m.requires_grad_(False); [p.requires_grad for p in m.parameters()]",
    "m = nn.Linear(2, 2); m(torch.ones(1, 2)).sum().backward(); m.zero_grad(); m.weight.grad",
    ("m = nn.Linear(2, 2); m(torch.ones(1, 2)).sum().backward(); m.zero_grad(set_to_none=False); "
    "m.weight.grad"),
    "m = Net(); names = []; m.apply(lambda x: names.append(type(x).__name__)); names",
    "m = nn.Linear(2, 2); m.apply(lambda x: None) is m",
    # conversion
    "m = Net().double(); [p.dtype for p in m.parameters()] + [b.dtype for b in m.buffers()]",
    "m = Net().float(); [p.dtype for p in m.parameters()] + [b.dtype for b in m.buffers()]",
    "m = nn.BatchNorm1d(2).to(torch.float64); [b.dtype for b in m.buffers()]",
    "m = nn.Linear(2, 2); w = m.weight; m.double(); (m.weight is w, m.weight.dtype)",
    "m = nn.Linear(2, 2); m(torch.ones(1, 2)).sum().backward(); m.double(); m.weight.grad.dtype",
    "m = nn.Linear(2, 2); m.to(torch.int64)",
    "m = nn.Linear(2, 2); m.to('cpu', torch.float64).weight.dtype",
    "m = nn.Linear(2, 2); m.to(torch.ones(1, dtype=torch.float64)).bias.dtype",
    "m = nn.Linear(2, 2); m.cpu() is m",
    "m = nn.Linear(2, 2); m.type(torch.float64).weight.dtype",
    # state dict
    "m = Net(); list(m.state_dict())",
    "m = Net(); list(m.state_dict(prefix='model.'))",
    "m = Net(); dict(m.state_dict()._metadata)",
    "m = Net(); [type(v).__name__ for v in m.state_dict().values()]",
    "m = Net(); [type(v).__name__ for v in m.state_dict(keep_vars=True).values()]",
    "m = Net(); [v.requires_grad for v in m.state_dict().values()]",
    "m = nn.Linear(2, 2); sd = m.state_dict(); sd['weight'].fill_(3.); m.weight.sum()",
    "m = Net(); str(m.load_state_dict(m.state_dict()))",
    "m = nn.Linear(2, 3); m.load_state_dict({'weight': torch.zeros(3, 2)})",
    ("m = nn.Linear(2, 3); m.load_state_dict({'weight': torch.zeros(3, 2), "
    "'bias': torch.zeros(3), 'extra': torch.zeros(1), 'sub.x': torch.zeros(1)})"),
    ("m = nn.Linear(2, 3); r = m.load_state_dict({'weight': torch.zeros(3, 2), "
    "'extra': torch.zeros(1)}, strict=False); (r.missing_keys, r.unexpected_keys, str(r))"),
    ("m = nn.Linear(2, 3); m.load_state_dict({'weight': torch.zeros(2, 3), "
    "'bias': torch.zeros(3)})"),
    "m = nn.Linear(2, 3); m.load_state_dict({'weight': torch.zeros(3, 2), 'bias': 3})",
    "m = nn.Linear(2, 3); m.load_state_dict([1, 2])",
    ("m = Net(); sd = m.state_dict(); del sd['bn.running_mean']; sd['foo'] = torch.ones(1); "
    "sd['heads.7.weight'] = torch.ones(1); m.load_state_dict(sd)"),
    ("m = nn.Linear(2, 3); m.load_state_dict({'weight': torch.ones(3, 2), "
    "'bias': torch.ones(3)}); (m.weight.sum().item(), m.bias.requires_grad)"),
    ("m = nn.Linear(2, 3); w = torch.ones(3, 2, dtype=torch.float64); "
    "m.load_state_dict({'weight': w, 'bias': torch.ones(3)}, assign=True); "
    "(m.weight.dtype, type(m.weight).__name__, m.weight.requires_grad)"),
    ("m = nn.BatchNorm1d(2); sd = m.state_dict(); del sd['num_batches_tracked']; "
    "m.load_state_dict(sd)"),
    ("m = nn.BatchNorm1d(2); sd = m.state_dict(); del sd['num_batches_tracked']; "
    "sd._metadata[''] = {'version': 1}; str(m.load_state_dict(sd))"),
    ("m = nn.Module(); m.x = nn.Parameter(torch.ones(())); "
    "m.load_state_dict({'x': torch.tensor([5.])}); m.x"),
    # parameters
    "p = nn.Parameter(torch.tensor([1., 2.])); (type(p).__name__, p.requires_grad, p.is_leaf)",
    "p = nn.Parameter(torch.tensor([1., 2.]), requires_grad=False); repr(p)",
    "p = nn.Parameter(torch.tensor([1., 2.])); repr(p)",
    "p = nn.Parameter(); (tuple(p.shape), p.dtype)",
    "p = nn.Parameter(torch.arange(3))",
    "with torch.no_grad():\n    p = nn.Parameter(torch.ones(2))\np.requires_grad",
    "t = torch.ones(2); p = nn.Parameter(t); p.data[0] = 5.; t",
    "p = nn.Parameter(torch.ones(2)); type(p * 2).__name__",
    "p = nn.Parameter(torch.ones(2)); (p * 2).sum().backward(); p.grad",
    ("p = nn.Parameter(torch.ones(2)); q = copy.deepcopy(p); "
    "(type(q).__name__, q.requires_grad, q is p)"),
    "p = nn.Parameter(torch.ones(2)); isinstance(p, torch.Tensor)",
    # containers
    ("s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)); "
    "(len(s), type(s[0]).__name__, type(s[-1]).__name__, type(s[1:]).__name__, len(s[1:]))"),
    "s = nn.Sequential(nn.Linear(2, 3), nn.ReLU()); s[2]",
    "s = nn.Sequential(nn.Linear(2, 3), nn.ReLU()); s[-3]",
    "s = nn.Sequential(nn.Linear(2, 3), nn.ReLU()); s['a']",
    ("s = nn.Sequential(nn.Linear(2, 3)); s.append(nn.ReLU()); s.append(nn.Tanh()); "
    "[type(x).__name__ for x in s]"),
    ("s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()); del s[1]; "
    "(list(s._modules), [type(x).__name__ for x in s])"),
    "s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()); s[1] = nn.Sigmoid(); str(s)",
    "s = nn.Sequential(nn.Linear(2, 3), nn.ReLU()); s.insert(1, nn.Tanh()); str(s)",
    "s = nn.Sequential(nn.ReLU()); s.insert(5, nn.Tanh())",
    "s = nn.Sequential(nn.ReLU()); str(s + nn.Sequential(nn.Tanh()))",
    "s = nn.Sequential(nn.ReLU()); s + nn.Tanh()",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); str(s * 2)",
    "s = nn.Sequential(nn.ReLU()); s * 0",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.pop(0); str(s)",
    "s = nn.Sequential(nn.ReLU()); s.extend([nn.Tanh(), nn.Sigmoid()]); len(s)",
    ("from collections import OrderedDict\ns = nn.Sequential(OrderedDict([('a', nn.ReLU()), "
    "('b', nn.Tanh())])); (str(s), list(s._modules), str(s[1:]))"),
    "s = nn.Sequential(nn.Linear(2, 2), nn.ReLU()); s(torch.ones(3, 2)).shape[0]",
    ("l = nn.ModuleList([nn.ReLU(), nn.Tanh()]); l.append(nn.Sigmoid()); l.extend([nn.ELU()]); "
    "l.insert(0, nn.GELU()); [type(x).__name__ for x in l]"),
    ("l = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.ELU()]); del l[0]; "
    "(list(l._modules), type(l[-1]).__name__, len(l[1:]))"),
    "l = nn.ModuleList([nn.ReLU()]); l[3]",
    "l = nn.ModuleList(); l.extend(3)",
    "l = nn.ModuleList([nn.ReLU()]); l(torch.ones(1))",
    ("d = nn.ModuleDict({'b': nn.ReLU(), 'a': nn.Tanh()}); d['c'] = nn.ELU(); "
    "(list(d.keys()), 'a' in d, len(d), type(d.pop('b')).__name__, list(d))"),
    "d = nn.ModuleDict([('x', nn.ReLU()), ('y', nn.Tanh())]); list(d)",
    "d = nn.ModuleDict(); d.update([('x', nn.ReLU(), 3)])",
    "d = nn.ModuleDict(); d.update(3)",
    "d = nn.ModuleDict(); d['x']",
    ("pl = nn.ParameterList([torch.ones(2), nn.Parameter(torch.zeros(3))]); "
    "([type(p).__name__ for p in pl], len(pl), [n for n, _ in pl.named_parameters()])"),
    "pl = nn.ParameterList([torch.ones(2)]); pl[1]",
    "pl = nn.ParameterList(); pl.extend(torch.ones(2))",
    "pl = nn.ParameterList([torch.ones(2)]); pl(1)",
    ("pd = nn.ParameterDict({'b': torch.ones(2), 'a': nn.Parameter(torch.zeros(3))}); "
    "(list(pd.keys()), [n for n, _ in pd.named_parameters()], 'a' in pd, len(pd))"),
    "pd = nn.ParameterDict(); pd[1] = torch.ones(1)",
    "pd = nn.ParameterDict({'a': torch.ones(1)}); pd.pop('a'); (len(pd), list(pd.state_dict()))",
    "pd = nn.ParameterDict(); pd.update([('a', torch.ones(1), 2)])",
    # hooks
    ("m = nn.Linear(2, 2); log = []; "
    "h = m.register_forward_pre_hook(lambda mod, args: log.append(('pre', len(args)))); "
    "m.register_forward_hook(lambda mod, args, out: log.append(('post', tuple(out.shape)))); "
    "m(torch.ones(3, 2)); h.remove(); m(torch.ones(1, 2)); log"),
    ("m = nn.Identity(); m.register_forward_pre_hook(lambda mod, args: args[0] * 2); "
    "m(torch.ones(2))"),
    ("m = nn.Identity(); m.register_forward_pre_hook(lambda mod, args: (args[0] * 3,)); "
    "m(torch.ones(2))"),
    "m = nn.Identity(); m.register_forward_hook(lambda mod, args, out: out + 1); m(torch.ones(2))",
    ("m = nn.Identity(); log = []; m.register_forward_hook(lambda *a: log.append(1)); "
    "m.register_forward_hook(lambda *a: log.append(0), prepend=True); m(torch.ones(1)); log"),
    ("m = nn.Identity(); m.register_forward_pre_hook(lambda mod, a, k: (a, {}), with_kwargs=True); "
    "m(torch.ones(1))"),
    ("m = nn.Identity(); m.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True); "
    "m(torch.ones(1))"),
    ("m = nn.Identity(); "
     "m.register_forward_hook(lambda mod, a, k, out: out * 5, with_kwargs=True); "
    "m(torch.ones(1))"),
    ("m = nn.Linear(2, 2); m.register_load_state_dict_post_hook(lambda mod, keys: "
    "keys.missing_keys.clear()); str(m.load_state_dict({'weight': torch.ones(2, 2)}))"),
    # nn.init
    ("[nn.init.calculate_gain(n) for n in ['linear', 'conv2d', 'sigmoid', 'tanh', 'relu', "
    "'selu']] + [nn.init.calculate_gain('leaky_relu'), nn.init.calculate_gain('leaky_relu', 0.2), "
    "nn.init.calculate_gain('leaky_relu', 3)]"),
    "nn.init.calculate_gain('leaky_relu', True)",
    "nn.init.calculate_gain('softmax')",
    "nn.init.kaiming_uniform_(torch.empty(3))",
    "nn.init.xavier_normal_(torch.empty(3))",
    "nn.init.kaiming_normal_(torch.empty(3, 3), mode='fan_both')",
    "nn.init.eye_(torch.empty(3))",
    "nn.init.eye_(torch.empty(2, 3))",
    "nn.init.orthogonal_(torch.empty(3))",
    "nn.init.dirac_(torch.empty(2, 2))",
    "nn.init.dirac_(torch.empty(4, 2, 3), groups=2)",
    "nn.init.dirac_(torch.empty(3, 2, 3), groups=2)",
    "nn.init.constant_(torch.empty(2, 2), 0.25)",
    "nn.init.ones_(torch.empty(3)), nn.init.zeros_(torch.empty(3))",
    ("w = nn.Parameter(torch.empty(3, 3)); nn.init.constant_(w, 2.); "
     "(w.requires_grad, w.is_leaf, w.sum())"),
    "w = torch.ones(3, 3, requires_grad=True); nn.init.uniform_(w) is w",
    "nn.init._calculate_fan_in_and_fan_out(torch.empty(6, 4, 3, 2))",
    "nn.init.kaiming_uniform_(torch.empty(0, 3)).shape",
    # nn.utils
    ("m = nn.Linear(3, 2); m.weight.grad = torch.full((2, 3), 2.); m.bias.grad = torch.ones(2); "
    "n = nn.utils.clip_grad_norm_(m.parameters(), 1.0); (n, m.weight.grad, m.bias.grad)"),
    ("m = nn.Linear(3, 2); m.weight.grad = torch.full((2, 3), 2.); m.bias.grad = torch.ones(2); "
    "n = nn.utils.clip_grad_norm_(m.parameters(), 100.0, norm_type=1); (n, m.bias.grad)"),
    ("m = nn.Linear(3, 2); m.weight.grad = torch.full((2, 3), -2.); m.bias.grad = torch.ones(2); "
    "n = nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type='inf'); (n, m.weight.grad)"),
    ("m = nn.Linear(3, 2); m.weight.grad = torch.full((2, 3), float('nan')); "
    "nn.utils.clip_grad_norm_(m.parameters(), 1.0, error_if_nonfinite=True)"),
    "nn.utils.clip_grad_norm_([], 1.0)",
    ("p = nn.Parameter(torch.ones(2)); p.grad = torch.tensor([3., 4.]); "
    "(nn.utils.clip_grad_norm_(p, 1.0), p.grad)"),
    ("m = nn.Linear(3, 2); m.weight.grad = torch.tensor([[-2., 0.5, 3.], [1., -0.1, 0.]]); "
    "nn.utils.clip_grad_value_(m.parameters(), 1.0); m.weight.grad"),
    ("m = nn.Linear(3, 2); v = nn.utils.parameters_to_vector(m.parameters()); "
    "(tuple(v.shape), v.requires_grad, bool((v[:6] == m.weight.reshape(-1)).all()))"),
    ("m = nn.Linear(3, 2); nn.utils.vector_to_parameters(torch.arange(8.), m.parameters()); "
    "(m.weight, m.bias)"),
    "m = nn.Linear(3, 2); nn.utils.vector_to_parameters([1, 2], m.parameters())",
    # functional forms added with nn
    "F.one_hot(torch.tensor([0, 2, 1]))",
    "F.one_hot(torch.tensor([[0], [3]]), 5)",
    "F.one_hot(torch.tensor([0, 3]), 3)",
    "F.one_hot(torch.tensor([0, -1]), 3)",
    "F.one_hot(torch.tensor([0., 1.]), 3)",
    "F.one_hot(torch.tensor([], dtype=torch.int64))",
    "F.pad(torch.arange(6.).reshape(2, 3), (1, 2))",
    "F.pad(torch.arange(6.).reshape(2, 3), (1, 0, 0, 1), value=-1.)",
    "F.pad(torch.arange(6.).reshape(2, 3), (-1, 1))",
    "F.pad(torch.arange(6.).reshape(2, 3), (1,))",
    "F.pad(torch.arange(6.).reshape(2, 3), (1, 1, 1, 1, 1, 1))",
    "F.normalize(torch.tensor([[3., 4.], [0., 0.]]))",
    "F.normalize(torch.tensor([[3., 4.], [1., 0.]]), p=1, dim=0)",
    "F.cosine_similarity(torch.tensor([[1., 0.], [1., 1.]]), torch.tensor([[1., 1.]]))",
    "F.cosine_similarity(torch.tensor([1., 2., 3.]), torch.tensor([0., 0., 0.]), dim=0)",
    "F.layer_norm(torch.ones(2, 3), (4,))",
    "F.group_norm(torch.ones(2, 6, 4), 4)",
    "F.batch_norm(torch.ones(1, 3), torch.zeros(3), torch.ones(3), training=True)",
    "F.embedding(torch.tensor([1.]), torch.ones(3, 2))",
    "F.embedding(torch.tensor([1]), torch.ones(3, 2), padding_idx=5)",
    ("w = torch.tensor([[3., 4.], [0.3, 0.4], [1., 0.]]); "
    "F.embedding(torch.tensor([0, 1]), w, max_norm=1.0); w"),
    "F.kl_div(torch.tensor([-1., -2.]), torch.tensor([0., 0.5]), reduction='sum')",
    "F.kl_div(torch.tensor([-1., -2.]), torch.tensor([0., 0.5]), reduction='avg')",
    "F.smooth_l1_loss(torch.ones(2), torch.zeros(2), beta=-1.)",
    "F.huber_loss(torch.ones(2), torch.zeros(2), delta=0.)",
    "F.glu(torch.ones(2, 3))",
    "F.prelu(torch.ones(2, 3), torch.ones(2))",
    "F.softshrink(torch.ones(2), -1.)",
    # layer construction errors
    "nn.Dropout(1.5)",
    "nn.Hardtanh(1., 0.)",
    "nn.Unflatten(1, 5)",
    "nn.Unflatten(1, (2, 2.5))",
    "nn.Embedding(5, 2, padding_idx=5)",
    "nn.Embedding(5, 2, padding_idx=-6)",
    "nn.Embedding.from_pretrained(torch.ones(3))",
    "e = nn.Embedding.from_pretrained(torch.ones(3, 2)); (e.weight.requires_grad, str(e))",
    "nn.GroupNorm(3, 4)",
    "nn.HuberLoss(delta='a')",
    "nn.RNN(4, 5, nonlinearity='sigmoid')",
    "nn.RNN(4, 5, proj_size=2)",
    "nn.LSTM(4, 5, proj_size=5)",
    "nn.LSTM(4, 5, dropout=2)",
    "nn.GRU(4.0, 5)",
    "nn.GRU(4, 0)",
    "nn.LSTM(4, 5, bias=1)",
    "nn.Conv2d(3, 4, 3, groups=2)",
    "nn.Conv2d(4, 3, 3, groups=2)",
    "nn.Conv2d(4, 4, 3, stride=2, padding='same')",
    "nn.Conv2d(4, 4, 3, groups=0)",
    "nn.Bilinear(0, 2, 2)",
    # layer call errors
    "nn.BatchNorm1d(3)(torch.ones(2, 3, 4, 5))",
    "nn.BatchNorm2d(3)(torch.ones(2, 3))",
    "nn.BatchNorm1d(3)(torch.ones(1, 3))",
    "nn.BatchNorm1d(3).eval()(torch.ones(1, 3))",
    "nn.LayerNorm(4)(torch.ones(2, 3))",
    "nn.GroupNorm(2, 4)(torch.ones(2, 6, 3))",
    "nn.RNN(4, 5)(torch.ones(2, 3, 4, 5))",
    "nn.RNN(4, 5)(torch.ones(2, 3, 3))",
    "nn.RNN(4, 5)(torch.ones(2, 3, 4), torch.ones(1, 3, 4))",
    "nn.RNN(4, 5)(torch.ones(2, 3, 4), torch.ones(3, 4))",
    "nn.RNN(4, 5)(torch.ones(2, 4), torch.ones(1, 2, 5))",
    "nn.GRU(4, 5)(torch.ones(2, 4, 4, 4))",
    "nn.LSTM(4, 5)(torch.ones(2, 3, 4), (torch.ones(1, 3, 5), torch.ones(1, 3, 4)))",
    "nn.LSTM(4, 5)(torch.ones(2, 3, 4), (torch.ones(3, 5), torch.ones(3, 5)))",
    "nn.LSTM(4, 5)(torch.ones(2, 3))",
    "nn.LSTM(4, 5)(torch.ones(2, 3, 4, dtype=torch.float64))",
    "nn.RNNCell(4, 5)(torch.ones(2, 3, 4))",
    "nn.LSTMCell(4, 5)(torch.ones(3, 4), (torch.ones(1, 2, 5), torch.ones(2, 5)))",
    "nn.GRUCell(4, 5)(torch.ones(3, 4), torch.ones(1, 1, 5))",
    "nn.Softmax2d()(torch.ones(2, 3))",
    "nn.ParameterList()()",
    "m = nn.Dropout(0.5); m.eval(); x = torch.ones(3); m(x) is x",
    "nn.LSTM(4, 5)(torch.zeros(2, 3, 4))[1][0].shape",
    "nn.GRU(4, 5, num_layers=2, bidirectional=True)(torch.zeros(2, 3, 4))[1].shape",
    ("nn.LSTM("
     "4, 5, proj_size=2, bidirectional=True, batch_first=True)(torch.zeros(3, 2, 4))[0].shape"),
]

# default initialisations and nn.init fills of large tensors: expressions giving a tensor
# whose statistics (mean, variance, min, max) are compared with PyTorch's
INIT_CASES = [
    "nn.Linear(400, 300).weight", "nn.Linear(400, 300).bias", "nn.Linear(3, 3000).weight",
    "nn.Bilinear(30, 40, 50).weight", "nn.Bilinear(30, 40, 50).bias",
    "nn.Embedding(300, 200).weight", "nn.Embedding(300, 200, padding_idx=3).weight",
    "nn.PReLU(10).weight",
    "nn.LSTM(50, 100).weight_ih_l0", "nn.GRUCell(50, 100).bias_hh",
    "nn.RNN(50, 64, num_layers=2).weight_hh_l1",
    "nn.Conv2d(16, 32, 3).weight", "nn.Conv2d(16, 32, 3).bias", "nn.Conv1d(8, 64, 5).weight",
    "nn.BatchNorm1d(50).weight", "nn.BatchNorm1d(50).running_var",
    "nn.LayerNorm(50).bias", "nn.GroupNorm(5, 50).weight",
    "nn.init.uniform_(torch.empty(300, 300), -0.3, 0.7)",
    "nn.init.normal_(torch.empty(300, 300), 0.5, 2.0)",
    "nn.init.xavier_uniform_(torch.empty(300, 400))",
    "nn.init.xavier_uniform_(torch.empty(30, 40, 3, 3), gain=nn.init.calculate_gain('relu'))",
    "nn.init.xavier_normal_(torch.empty(300, 400), gain=2.0)",
    "nn.init.kaiming_uniform_(torch.empty(300, 400))",
    "nn.init.kaiming_uniform_(torch.empty(300, 400), a=0.2, mode='fan_out')",
    "nn.init.kaiming_normal_(torch.empty(300, 400), mode='fan_out', nonlinearity='relu')",
    "nn.init.kaiming_normal_(torch.empty(64, 32, 3, 3), nonlinearity='tanh')",
    "nn.init.trunc_normal_(torch.empty(300, 300))",
    "nn.init.trunc_normal_(torch.empty(300, 300), mean=1.0, std=0.5, a=0.5, b=3.0)",
    "nn.init.trunc_normal_(torch.empty(300, 300), mean=0.0, std=1.0, a=1.0, b=1.5)",
    "nn.init.trunc_normal_(torch.empty(300, 300), std=0.02)",
    "nn.init.orthogonal_(torch.empty(200, 100))",
    "nn.init.orthogonal_(torch.empty(60, 200), gain=2.0)",
    "nn.init.orthogonal_(torch.empty(20, 5, 3, 3))",
    "nn.init.xavier_uniform_(torch.empty(300, 400, dtype=torch.float64))",
]
