"""A fixed-input-size copy of a model for export: the same maths with fewer operations at run time.

- timm's ``Conv2dSame`` works out TF's 'same' padding from the input shape on every call, which an
  exported graph carries as Shape/Ceil/Pad operations. For one input size the padding is a
  constant: a ``ZeroPad2d`` in front of a plain convolution, which ONNX Runtime folds into it.
- The upscaler's transposed convolutions are 16-to-16 with the bilinear kernel on the diagonal and
  no bias in every upstream file; when that holds, the three become two matrix products
  (``model/upscale.py``), about an eighth of their time. Otherwise, when only the diagonal is
  non-zero (trained weights), a depthwise transposed convolution (groups=16) computes the same at a
  sixteenth of the cost; weights with cross-channel terms are kept as they are.
- E-swish is ``beta * swish``; every E-swish in a detection MBConv feeds only linear maps (the
  depthwise conv, the squeeze-excite mean and the projection, the SE expansion), so beta moves into
  their weights and the activation becomes plain swish, which ONNX Runtime runs as one fused op.
"""

from __future__ import annotations

import copy
import math

import torch
from timm.layers import Conv2dSame
from torch import nn

from poseapp.model.blocks import DetectionMBConv, ESwish, SqueezeExcite
from poseapp.model.upscale import is_bilinear, upscale_matrix


def _same(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _static_conv(conv: Conv2dSame, height: int, width: int) -> nn.Sequential:
    left, right = _same(width, conv.kernel_size[1], conv.stride[1], conv.dilation[1])
    top, bottom = _same(height, conv.kernel_size[0], conv.stride[0], conv.dilation[0])
    plain = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, 0, conv.dilation,
                      conv.groups, conv.bias is not None)
    plain.load_state_dict(conv.state_dict())
    return nn.Sequential(nn.ZeroPad2d((left, right, top, bottom)), plain)


def _depthwise(deconv: nn.ConvTranspose2d) -> nn.ConvTranspose2d | None:
    weight = deconv.weight.detach()
    channels = weight.shape[0]
    if deconv.groups != 1 or weight.shape[1] != channels:
        return None
    diagonal = weight[range(channels), range(channels)]
    off = weight.clone()
    off[range(channels), range(channels)] = 0
    if off.abs().max() > 0:
        return None
    dw = nn.ConvTranspose2d(channels, channels, deconv.kernel_size, deconv.stride, deconv.padding,
                            groups=channels, bias=deconv.bias is not None)
    with torch.no_grad():
        dw.weight.copy_(diagonal[:, None])
        if deconv.bias is not None:
            dw.bias.copy_(deconv.bias)
    return dw


class MatrixUpscale(nn.Module):
    """The bilinear upscaler as ``A @ maps @ A.T`` for ``size`` x ``size`` heatmaps (see
    ``model/upscale.py``)."""

    def __init__(self, size: int, steps: int) -> None:
        super().__init__()
        a = torch.from_numpy(upscale_matrix(size, steps))
        self.register_buffer("rows", a)
        self.register_buffer("cols", a.T.contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(torch.matmul(self.rows, x), self.cols)


def _matrix_upscale(upscale: nn.Sequential, size: int) -> MatrixUpscale | None:
    """The matrix form of ``upscale`` for ``size``-pixel heatmaps when every layer is exactly bilinear."""
    layers = list(upscale)
    if not all(isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2) and m.padding == (1, 1)
               and is_bilinear(m.weight.detach().numpy(), None if m.bias is None else m.bias.detach().numpy())
               for m in layers):
        return None
    return MatrixUpscale(size, len(layers))


def _fold_eswish(block: DetectionMBConv) -> None:
    """Move each E-swish's beta into the linear maps it feeds (see the module docstring)."""
    if not isinstance(block.act1, ESwish) or not isinstance(block.se, SqueezeExcite):
        return
    with torch.no_grad():
        block.dconv.weight.mul_(block.act1.beta)
        block.se.conv_reduce.weight.mul_(block.act2.beta)
        block.conv2.weight.mul_(block.act2.beta)
        block.se.conv_expand.weight.mul_(block.se.act.beta)
    block.act1, block.act2, block.se.act = nn.SiLU(), nn.SiLU(), nn.SiLU()


def static_copy(model: nn.Module, size: int) -> nn.Module:
    """A copy of ``model`` specialised to ``size`` x ``size`` inputs (see the module docstring)."""
    model = copy.deepcopy(model).eval()
    shapes: dict[str, tuple[int, int]] = {}
    hooks = [m.register_forward_pre_hook(lambda mod, args, name=name: shapes.__setitem__(name, args[0].shape[-2:]))
             for name, m in model.named_modules() if isinstance(m, Conv2dSame)]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    for name, (height, width) in shapes.items():
        model.set_submodule(name, _static_conv(model.get_submodule(name), height, width))
    matrix = _matrix_upscale(model.upscale, size // 2 ** len(model.upscale))
    if matrix is not None:
        model.upscale = matrix
    for name, m in list(model.named_modules()):
        if isinstance(m, nn.ConvTranspose2d) and (dw := _depthwise(m)) is not None:
            model.set_submodule(name, dw)
        elif isinstance(m, DetectionMBConv):
            _fold_eswish(m)
    return model
