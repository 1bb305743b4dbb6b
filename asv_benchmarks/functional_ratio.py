"""Print how much faster ``jacobian(..., vectorize=True)`` is than the row-by-row
loop, on the R^1000 -> R^1000 function of `bench_functional` (best of a few runs).

    python asv_benchmarks/functional_ratio.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_functional  # noqa: E402


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    bench = bench_functional.JacobianR1000()
    bench.setup()
    vec = best_of(bench.time_jacobian_vectorized, 7)
    rows = best_of(bench.time_jacobian_row_by_row, 3)
    n = bench_functional.N
    print(f"jacobian R^{n} -> R^{n}: vectorized {vec * 1e3:.2f} ms, row by row "
          f"{rows * 1e3:.1f} ms, ratio {rows / vec:.1f}x")
    return rows / vec


if __name__ == "__main__":
    main()
