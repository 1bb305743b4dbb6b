"""No memory grows across a long create_graph=True training loop."""

import gc
import sys
import tracemalloc
import weakref

import nbgrad as nb


def _step(w, x, lr=1e-3):
    """One step of a gradient-penalty loss |d loss/d w|^2, then SGD; returns a
    weak reference to this step's graph."""
    loss = (w * w * x).sum()
    (g,) = nb.autograd.grad(loss, w, create_graph=True)
    penalty = (g * g).sum()
    penalty.backward(create_graph=True)   # w.grad has a graph: alive until reset
    with nb.no_grad():
        w -= lr * w.grad
    w.grad = None
    return weakref.ref(penalty.grad_fn)


def test_no_growth_over_10000_create_graph_iterations():
    # 1,000 warm-up steps, 8,000 counted in allocated blocks, 1,000 traced
    w = nb.tensor([0.1, -0.2, 0.3], dtype=nb.float64, requires_grad=True)
    x = nb.tensor([0.5, 1.0, -1.5], dtype=nb.float64)
    for _ in range(10):   # load the kernels first: Numba's loading leaves cycles of its own
        _step(w, x)
    gc.collect()
    gc.disable()                         # everything must go by reference counting alone
    try:
        for _ in range(1_000):   # warm: kernels, caches and the free lists gc.collect emptied
            _step(w, x)
        refs = []
        blocks = sys.getallocatedblocks()
        for i in range(8_000):
            r = _step(w, x)
            if i % 500 == 0:
                refs.append(r)
        tracemalloc.start()              # numpy buffers too, over the last 1000 steps
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(1_000):
            _step(w, x)
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        grown = sys.getallocatedblocks() - blocks
        assert all(r() is None for r in refs), "graphs of earlier steps are still alive"
        # a per-step cycle would leave >= 10,000 objects; the harness leaves a few
        assert gc.collect() < 50, "reference cycles were created"
        assert grown < 500, f"{grown} more allocated blocks after 9,000 steps"
        assert after - before < 16 * 1024, f"traced memory grew by {after - before} bytes"
    finally:
        gc.enable()
