"""The upscaler's matrix form equals the three bilinear transposed convolutions, borders included."""

from __future__ import annotations

import numpy as np
import torch

from poseapp.model.blocks import BilinearUpscale
from poseapp.model.upscale import is_bilinear, upscale_matrix


def test_matrix_products_equal_the_transposed_convolutions():
    torch.manual_seed(0)
    upscale = BilinearUpscale(16)
    for n in (28, 46, 75):  # RT, II, IV
        maps = torch.randn(2, 16, n, n)
        with torch.no_grad():
            want = upscale(maps).numpy()
        a = upscale_matrix(n)
        assert a.shape == (8 * n, n)
        got = a @ maps.numpy() @ a.T
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_only_exact_bilinear_kernels_without_bias_qualify():
    layer = BilinearUpscale(16)[0]
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert is_bilinear(weight, bias) and is_bilinear(weight, None)
    assert not is_bilinear(weight, bias + 0.01)
    off = weight.copy()
    off[0, 1, 0, 0] = 0.01
    assert not is_bilinear(off, bias)
    assert not is_bilinear(weight[:, :8], bias)
