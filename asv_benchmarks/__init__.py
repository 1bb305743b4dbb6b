"""nbgrad's asv suite (asv.conf.json at the repository root points here).

`cases` defines every benchmarked computation once (nbgrad and its NumPy
reference); the ``bench_*`` modules time them under asv, and `ratios` prints
nbgrad / NumPy (and PyTorch) ratios measured in one run.
"""
