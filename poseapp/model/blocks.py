"""EfficientPose's own layers: E-swish, the detection MBConv, the Mobile DenseNet, the upscaler."""

from __future__ import annotations

import torch
from torch import nn

from poseapp.model.architecture import BN_EPS, ESWISH_BETA
from poseapp.model.upscale import bilinear_weight


class ESwish(nn.Module):
    """E-swish, ``beta * x * sigmoid(x)``: the detection blocks' activation (beta 1.25)."""

    def __init__(self, beta: float = ESWISH_BETA) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.beta * x * torch.sigmoid(x)


def make_act(lite: bool) -> nn.Module:
    """The detection blocks' activation: ReLU6 for Lite variants, else E-swish."""
    return nn.ReLU6() if lite else ESwish()


class SqueezeExcite(nn.Module):
    """Channel gate: global mean, reduce, activation, expand, sigmoid, multiply."""

    def __init__(self, channels: int, reduced: int, act: nn.Module) -> None:
        super().__init__()
        self.conv_reduce = nn.Conv2d(channels, reduced, 1)
        self.act = act
        self.conv_expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.conv_expand(self.act(self.conv_reduce(s))))


class DetectionMBConv(nn.Module):
    """MBConv of the detection blocks: 1x1 expand to 6C, 5x5 depthwise, SE, 1x1 project to C.

    The expansion is relative to the output width C, not the input, as the paper describes; there
    is no residual inside (the Mobile DenseNet concatenates instead).
    """

    def __init__(self, in_chs: int, width: int, lite: bool, kernel: int = 5, expansion: int = 6):
        super().__init__()
        mid = width * expansion
        self.conv1 = nn.Conv2d(in_chs, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self.act1 = make_act(lite)
        self.dconv = nn.Conv2d(mid, mid, kernel, padding=kernel // 2, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self.act2 = make_act(lite)
        self.se = nn.Identity() if lite else SqueezeExcite(mid, width // 4, make_act(lite))
        self.conv2 = nn.Conv2d(mid, width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.dconv(x)))
        return self.bn3(self.conv2(self.se(x)))


class MobileDenseNet(nn.Module):
    """Three detection MBConvs whose outputs are densely concatenated: out has 3C channels."""

    def __init__(self, in_chs: int, width: int, lite: bool) -> None:
        super().__init__()
        self.mbconv1 = DetectionMBConv(in_chs, width, lite)
        self.mbconv2 = DetectionMBConv(width, width, lite)
        self.mbconv3 = DetectionMBConv(2 * width, width, lite)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.mbconv1(x)
        dense = torch.cat([self.mbconv2(x1), x1], 1)
        return torch.cat([self.mbconv3(dense), dense], 1)


class DetectionPass(nn.Module):
    """One detection pass: Mobile DenseNets (each after the first adds a residual skip) and,
    where the variant has it, a 1x1 output convolution predicting the pass's maps."""

    def __init__(self, in_chs: int, width: int, depth: int, lite: bool, out_chs: int | None):
        super().__init__()
        self.blocks = nn.ModuleList(
            MobileDenseNet(in_chs if i == 0 else 3 * width, width, lite) for i in range(depth)
        )
        self.head = nn.Conv2d(3 * width, out_chs, 1) if out_chs else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks[0](x)
        for block in self.blocks[1:]:
            x = block(x) + x
        return x


def bilinear_kernel(channels: int, size: int = 4) -> torch.Tensor:
    """Weights (in, out, k, k) that make a stride-2 transposed conv a per-channel bilinear upsample."""
    return torch.from_numpy(bilinear_weight((channels, channels, size, size)))


class BilinearUpscale(nn.Sequential):
    """Three 4x4 stride-2 transposed convolutions (8x), initialised as bilinear interpolation."""

    def __init__(self, channels: int = 16, steps: int = 3) -> None:
        layers = []
        for _ in range(steps):
            deconv = nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1)
            with torch.no_grad():
                deconv.weight.copy_(bilinear_kernel(channels))
                deconv.bias.zero_()
            layers.append(deconv)
        super().__init__(*layers)
