"""Where each upstream (Keras / TFLite) layer lands in our module: one map for both converters.

Upstream layer names come from two Keras code bases: the EfficientNet port for RT..IV
(``block2a_expand_conv_res1``) and TF's EfficientNet-Lite graph for the Lite models
(``efficientnet-lite0/model/blocks_1/conv2d/Conv2D_0``); the detection blocks share one
naming (``pass2_block1_mbconv3_detection1_conv1``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from torch import nn

from poseapp.model.efficientpose import EfficientPose

PASS_TAGS = {1: "skeleton", 2: "detection1", 3: "detection2"}
HEAD_NAMES = {1: "pass1_skeleton_pafs", 2: "pass2_detection1_confs", 3: "pass3_detection2_confs"}
UPSCALE_NAMES = ("upscaled_deconv1", "upscaled_deconv2", "upscaled_confs")


@dataclass(frozen=True)
class UpstreamLayer:
    """One upstream convolution, its module here, and the BatchNorm that follows it (if any)."""

    name: str
    conv: nn.Module
    bn_name: str | None = None
    bn: nn.BatchNorm2d | None = None


def _backbone_keras(stages: nn.Sequential, res: int) -> Iterator[UpstreamLayer]:
    r = f"_res{res}"
    yield UpstreamLayer(f"stem_conv{r}", stages[0], f"stem_bn{r}", stages[1])
    for s, stage in enumerate(stages[2:], start=1):
        for i, blk in enumerate(stage):
            p = f"block{s}{chr(ord('a') + i)}_"
            if hasattr(blk, "conv_pwl"):  # inverted residual: expand, depthwise, project
                yield UpstreamLayer(p + "expand_conv" + r, blk.conv_pw, p + "expand_bn" + r, blk.bn1)
                yield UpstreamLayer(p + "dwconv" + r, blk.conv_dw, p + "bn" + r, blk.bn2)
                project, project_bn = blk.conv_pwl, blk.bn3
            else:  # depthwise-separable first stage
                yield UpstreamLayer(p + "dwconv" + r, blk.conv_dw, p + "bn" + r, blk.bn1)
                project, project_bn = blk.conv_pw, blk.bn2
            yield UpstreamLayer(p + "se_reduce" + r, blk.se.conv_reduce)
            yield UpstreamLayer(p + "se_expand" + r, blk.se.conv_expand)
            yield UpstreamLayer(p + "project_conv" + r, project, p + "project_bn" + r, project_bn)


def _backbone_lite(stages: nn.Sequential, timm_id: str) -> Iterator[UpstreamLayer]:
    root = f"efficientnet-lite{timm_id[-1]}/model/"
    bn = "/tpu_batch_normalization{}/FusedBatchNormV3_0"
    yield UpstreamLayer(root + "stem/conv2d/Conv2D_0", stages[0], root + "stem" + bn.format(""), stages[1])
    g = 0
    for stage in stages[2:]:
        for blk in stage:
            p = f"{root}blocks_{g}"
            dw = p + "/depthwise_conv2d/depthwise_0"
            if hasattr(blk, "conv_pwl"):
                yield UpstreamLayer(p + "/conv2d/Conv2D_0", blk.conv_pw, p + bn.format(""), blk.bn1)
                yield UpstreamLayer(dw, blk.conv_dw, p + bn.format("_1"), blk.bn2)
                yield UpstreamLayer(p + "/conv2d_1/Conv2D_0", blk.conv_pwl, p + bn.format("_2"), blk.bn3)
            else:
                yield UpstreamLayer(dw, blk.conv_dw, p + bn.format(""), blk.bn1)
                yield UpstreamLayer(p + "/conv2d/Conv2D_0", blk.conv_pw, p + bn.format("_1"), blk.bn2)
            g += 1


def upstream_layers(model: EfficientPose) -> list[UpstreamLayer]:
    """Every upstream layer with weights, mapped onto ``model``'s modules."""
    v = model.variant
    if v.lite:
        layers = list(_backbone_lite(model.backbone_high, v.backbone_high))
    else:
        layers = list(_backbone_keras(model.backbone_high, 1))
        if model.backbone_low is not None:
            layers += _backbone_keras(model.backbone_low, 2)
    for p, det in enumerate((model.pass1, model.pass2, model.pass3), start=1):
        for b, dense in enumerate(det.blocks, start=1):
            for m, mb in enumerate((dense.mbconv1, dense.mbconv2, dense.mbconv3), start=1):
                n = f"pass{p}_block{b}_mbconv{m}_{PASS_TAGS[p]}"
                layers.append(UpstreamLayer(n + "_conv1", mb.conv1, n + "_conv1_bn", mb.bn1))
                layers.append(UpstreamLayer(n + "_dconv1", mb.dconv, n + "_dconv1_bn", mb.bn2))
                if not v.lite:
                    layers.append(UpstreamLayer(n + "_se_se_squeeze_conv", mb.se.conv_reduce))
                    layers.append(UpstreamLayer(n + "_se_se_excite_conv", mb.se.conv_expand))
                layers.append(UpstreamLayer(n + "_conv2", mb.conv2, n + "_conv2_bn", mb.bn3))
        if det.head is not None:
            layers.append(UpstreamLayer(HEAD_NAMES[p], det.head))
    layers += [UpstreamLayer(n, m) for n, m in zip(UPSCALE_NAMES, model.upscale)]
    return layers
