"""The heatmap upscaler as two matrix products (numpy; no torch).

Upstream's upscaler is three 4x4 stride-2 transposed convolutions, 16-to-16, with the bilinear
kernel on the diagonal and no bias (so in every upstream file). Such a kernel is the outer product
of the taps (1, 3, 3, 1) / 4 with themselves, so each step is separable: one (2n x n) matrix per
axis, zero outside the map as the transposed convolution has it. The three steps together are
one (8n x n) matrix A, and the upscaled maps are ``A @ H @ A.T``: exact to float rounding, and
about 4% of RT's graph time where the transposed convolutions were a quarter of it
(``benchmarks/profile_ops.py``; README, Speed).
"""

from __future__ import annotations

import numpy as np


def bilinear_taps(size: int = 4) -> np.ndarray:
    """The 1-D taps whose outer product is the bilinear transposed-convolution kernel."""
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    return 1 - np.abs(np.arange(size) - centre) / factor


def step_matrix(n: int, size: int = 4) -> np.ndarray:
    """One stride-2 bilinear transposed convolution (padding 1) along one axis: (2n, n)."""
    taps = bilinear_taps(size)
    out = np.zeros((2 * n, n))
    for i in range(n):
        for t, w in enumerate(taps):
            o = 2 * i - 1 + t
            if 0 <= o < 2 * n:
                out[o, i] += w
    return out


def upscale_matrix(n: int, steps: int = 3) -> np.ndarray:
    """``steps`` bilinear steps from n to n * 2**steps pixels along one axis, float32."""
    a = np.eye(n)
    for k in range(steps):
        a = step_matrix(n * 2**k) @ a
    return a.astype(np.float32)


def bilinear_weight(shape: tuple[int, ...]) -> np.ndarray:
    """A (C, C, k, k) transposed-convolution kernel: the bilinear one on the diagonal, float32."""
    channels, size = shape[0], shape[-1]
    taps = bilinear_taps(size)
    kernel = np.zeros(shape, np.float32)
    kernel[np.arange(channels), np.arange(channels)] = np.outer(taps, taps)
    return kernel


def is_bilinear(weight: np.ndarray, bias: np.ndarray | None) -> bool:
    """Whether one upscaling layer's (C, C, k, k) kernel is exactly the bilinear one on the
    diagonal, with zero bias: what ``upscale_matrix`` reproduces."""
    channels, size = weight.shape[0], weight.shape[-1]
    if weight.shape != (channels, channels, size, size):
        return False
    return bool(np.array_equal(weight, bilinear_weight(weight.shape)) and (bias is None or not np.any(bias)))
