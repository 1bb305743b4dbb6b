"""Kernel backends: `cpu` (Numba @njit) and `cuda` (numba-cuda, loaded on first use)."""
