"""EfficientPose described without torch: every layer with weights, and every operation from image
to heatmaps, in order.

One walk over a row of the variant table gives what converts an upstream file (each convolution's
state-dict key, upstream layer name and shapes: ``weights/convert.py``) and what is written as the
ONNX graph the CPU engine runs (``weights/onnx_export.py``), so neither needs torch. The torch module
(``efficientpose.py``) is the same network for training and the GPU backends;
``tests/model/test_architecture.py`` holds the two equal: the same keys, shapes, upstream names,
and outputs.

The backbones are the stem and first stages of TF-ported EfficientNets as timm builds them: B0's
stage table scaled by each model's width and depth multipliers (channels rounded to multiples of
8; the Lite models keep a 32-channel stem and an unscaled first stage), TF 'same' padding worked
out for the one input size, swish and squeeze-excite (ReLU6 and none in the Lite models).

E-swish (``beta * x * sigmoid(x)``) feeds only linear maps in a detection MBConv, so its beta is a
``scale`` on the weights of the convolutions it feeds and the activation here is plain swish, which
ONNX Runtime runs as one fused operation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from poseapp.errors import PoseappError
from poseapp.model.variants import Variant

ESWISH_BETA = 1.25
BN_EPS = 1e-3  # Keras' BatchNormalization default, which upstream trained with
NUM_JOINTS = 16
NUM_PAFS = 28  # 14 limbs x (dx, dy)
UPSCALE_STEPS = 3

#: EfficientNet-B0's first three stages: block type, repeats, kernel, stride, expansion, channels.
_STAGES = (("ds", 1, 3, 1, 1, 16), ("ir", 2, 3, 2, 6, 24), ("ir", 2, 5, 2, 6, 40))
#: (width, depth) multipliers of the backbones by timm id suffix.
_SCALING = {
    "b0": (1.0, 1.0), "b1": (1.0, 1.1), "b2": (1.1, 1.2), "b3": (1.2, 1.4), "b4": (1.4, 1.8),
    "b5": (1.6, 2.2), "b6": (1.8, 2.6), "b7": (2.0, 3.1),
    "lite0": (1.0, 1.0), "lite1": (1.0, 1.1), "lite2": (1.1, 1.2), "lite3": (1.2, 1.4), "lite4": (1.4, 1.8),
}
_PASS_TAGS = {1: "skeleton", 2: "detection1", 3: "detection2"}
_HEAD_NAMES = {1: "pass1_skeleton_pafs", 2: "pass2_detection1_confs", 3: "pass3_detection2_confs"}
_UPSCALE_NAMES = ("upscaled_deconv1", "upscaled_deconv2", "upscaled_confs")


@dataclass(frozen=True)
class Conv:
    """One convolution with weights, the BatchNorm after it (if any) and where both come from."""

    key: str  # state-dict prefix (``pass1.blocks.0.mbconv1.conv1``)
    upstream: str  # upstream layer name
    in_chs: int
    out_chs: int
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    bias: bool = False
    bn: str | None = None  # state-dict prefix of the BatchNorm
    bn_upstream: str | None = None
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    scale: float = 1.0  # a factor on the weights (a folded E-swish beta)
    transpose: bool = False  # the upscaler's transposed convolutions

    @property
    def kind(self) -> str:
        """conv, dw (depthwise) or deconv: the upstream kernel layouts differ."""
        return "deconv" if self.transpose else "dw" if self.groups > 1 else "conv"

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every state-dict entry of this layer and its shape (PyTorch layouts)."""
        k = self.kernel
        weight = (self.in_chs, self.out_chs // self.groups, k, k) if self.transpose else \
            (self.out_chs, self.in_chs // self.groups, k, k)
        out = {f"{self.key}.weight": weight}
        if self.bias:
            out[f"{self.key}.bias"] = (self.out_chs,)
        if self.bn:
            out.update({f"{self.bn}.{s}": (self.out_chs,) for s in ("weight", "bias", "running_mean", "running_var")})
        return out


@dataclass(frozen=True)
class Op:
    """One operation: conv (``convs`` holds its layer), swish, relu6, sigmoid, mean (global, per
    channel), mul, add, concat (channels), pool (2x2 average) or upscale (``convs``: the three
    transposed convolutions; the graph writer picks how to run them)."""

    kind: str
    output: str
    inputs: tuple[str, ...]
    convs: tuple[Conv, ...] = ()


@dataclass
class Architecture:
    """A variant's layers in upstream's order and its operations in running order. The input
    (``IMAGE``) is the NCHW normalised image; the last operation's output is the heatmaps."""

    variant: Variant
    layers: list[Conv] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    channels: dict[str, int] = field(default_factory=dict)  # of every tensor by name
    sizes: dict[str, int] = field(default_factory=dict)  # height and width of every tensor

    IMAGE = "image_nchw"

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every state-dict entry and its shape."""
        return {k: v for layer in self.layers for k, v in layer.shapes().items()}

    def parameters(self) -> int:
        """Trainable parameters (weights, biases, BatchNorm scale and shift; not running statistics)."""
        return sum(math.prod(s) for k, s in self.shapes().items() if not k.endswith(("running_mean", "running_var")))

    def flops(self) -> int:
        """FLOPs of one image through the network, counted as torch's FlopCounterMode does: a
        multiply-add is two, element-wise operations and biases are not counted."""
        total = 0
        for op in self.ops:
            for i, c in enumerate(op.convs):
                # a convolution over its output's pixels; a transposed one over its input's
                size = self.sizes[op.inputs[0]] * 2**i if c.transpose else self.sizes[op.output]
                total += 2 * size**2 * c.kernel**2 * c.out_chs * c.in_chs // c.groups
        return total

    def add_op(self, kind: str, inputs: list[str], chs: int, size: int, convs: tuple[Conv, ...] = ()) -> str:
        """Append an operation whose output has ``chs`` channels of ``size`` x ``size``; its name."""
        name = f"t{len(self.ops)}"
        self.ops.append(Op(kind, name, tuple(inputs), convs))
        self.channels[name], self.sizes[name] = chs, size
        return name

    def layer(self, x: str, key: str, upstream: str, out_chs: int, kernel: int = 1, stride: int = 1,
              depthwise: bool = False, bias: bool = False, bn: tuple[str, str] | None = None,
              scale: float = 1.0) -> Conv:
        """Register a convolution reading ``x`` (TF 'same' padding for its input size)."""
        size = self.sizes[x]
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pads = (total // 2, total // 2, total - total // 2, total - total // 2)
        in_chs = self.channels[x]
        conv = Conv(key, upstream, in_chs, out_chs, kernel, stride, in_chs if depthwise else 1, bias,
                    bn[0] if bn else None, bn[1] if bn else None, pads, scale)
        self.layers.append(conv)
        return conv

    def conv(self, x: str, *args: object, **kwargs: object) -> str:
        """A convolution (and its BatchNorm) applied to ``x``: ``layer``'s arguments."""
        conv = self.layer(x, *args, **kwargs)
        return self.add_op("conv", [x], conv.out_chs, math.ceil(self.sizes[x] / conv.stride), (conv,))

    def act(self, x: str, kind: str) -> str:
        """An element-wise activation: swish, relu6 or sigmoid."""
        return self.add_op(kind, [x], self.channels[x], self.sizes[x])

    def join(self, kind: str, inputs: list[str]) -> str:
        """add, mul (the second may be a per-channel gate) or concat."""
        chs = sum(self.channels[i] for i in inputs) if kind == "concat" else self.channels[inputs[0]]
        return self.add_op(kind, inputs, chs, self.sizes[inputs[0]])


def _round_chs(chs: int, multiplier: float) -> int:
    """timm's channel rounding: the nearest multiple of 8, never 10% below."""
    chs *= multiplier
    new = max(8, int(chs + 4) // 8 * 8)
    return new + 8 if new < 0.9 * chs else new


def _se(a: Architecture, x: str, key: str, names: tuple[str, str], reduced: int, act: str,
        scales: tuple[float, float] = (1.0, 1.0)) -> str:
    """Squeeze-excite: global mean, reduce, activation, expand, sigmoid, multiply."""
    s = a.add_op("mean", [x], a.channels[x], 1)
    s = a.act(a.conv(s, f"{key}.conv_reduce", names[0], reduced, bias=True, scale=scales[0]), act)
    s = a.act(a.conv(s, f"{key}.conv_expand", names[1], a.channels[x], bias=True, scale=scales[1]), "sigmoid")
    return a.join("mul", [x, s])


def _backbone(a: Architecture, x: str, prefix: str, timm_id: str, stages: int, res: int, last_skip: bool) -> str:
    """The stem and the first ``stages`` stages of a TF EfficientNet (``prefix``: our module's)."""
    suffix = timm_id.rsplit("_", 1)[-1]
    width, depth = _SCALING[suffix]
    lite = suffix.startswith("lite")
    act = "relu6" if lite else "swish"
    if lite:
        root = f"efficientnet-{suffix}/model/"

        def bn_name(p: str, i: int) -> str:
            return f"{p}/tpu_batch_normalization{'' if i == 0 else f'_{i}'}/FusedBatchNormV3_0"

        stem = (root + "stem/conv2d/Conv2D_0", bn_name(root + "stem", 0))
    else:
        stem = (f"stem_conv_res{res}", f"stem_bn_res{res}")
    x = a.act(a.conv(x, f"{prefix}.0", stem[0], 32 if lite else _round_chs(32, width), 3, 2,
                     bn=(f"{prefix}.1", stem[1])), act)
    g = 0
    for s, (block, repeats, kernel, stride, expansion, chs) in enumerate(_STAGES[:stages], start=1):
        n = repeats if lite and s == 1 else math.ceil(repeats * depth)
        out = _round_chs(chs, width)
        for i in range(n):
            key, in_chs = f"{prefix}.{s + 1}.{i}", a.channels[x]
            if lite:
                p = f"{root}blocks_{g}"
                names = {"dw": p + "/depthwise_conv2d/depthwise_0"}
                if block == "ir":
                    names.update(pw=p + "/conv2d/Conv2D_0", pw_bn=bn_name(p, 0), dw_bn=bn_name(p, 1),
                                 pwl=p + "/conv2d_1/Conv2D_0", pwl_bn=bn_name(p, 2))
                else:
                    names.update(dw_bn=bn_name(p, 0), pwl=p + "/conv2d/Conv2D_0", pwl_bn=bn_name(p, 1))
            else:
                p, r = f"block{s}{chr(ord('a') + i)}_", f"_res{res}"
                names = {"pw": p + "expand_conv" + r, "pw_bn": p + "expand_bn" + r, "dw": p + "dwconv" + r,
                         "dw_bn": p + "bn" + r, "se": (p + "se_reduce" + r, p + "se_expand" + r),
                         "pwl": p + "project_conv" + r, "pwl_bn": p + "project_bn" + r}
            y = x
            if block == "ir":
                y = a.act(a.conv(y, f"{key}.conv_pw", names["pw"], in_chs * expansion,
                                 bn=(f"{key}.bn1", names["pw_bn"])), act)
            dw_bn = f"{key}.bn2" if block == "ir" else f"{key}.bn1"
            y = a.act(a.conv(y, f"{key}.conv_dw", names["dw"], a.channels[y], kernel, stride if i == 0 else 1,
                             depthwise=True, bn=(dw_bn, names["dw_bn"])), act)
            if not lite:
                y = _se(a, y, f"{key}.se", names["se"], in_chs // 4, act)
            pwl, pwl_bn = (f"{key}.conv_pwl", f"{key}.bn3") if block == "ir" else (f"{key}.conv_pw", f"{key}.bn2")
            y = a.conv(y, pwl, names["pwl"], out, bn=(pwl_bn, names["pwl_bn"]))
            skip = a.sizes[y] == a.sizes[x] and out == in_chs and (last_skip or (s, i) != (stages, n - 1))
            x = a.join("add", [y, x]) if skip else y
            g += 1
    return x


def _mbconv(a: Architecture, x: str, key: str, name: str, width: int, lite: bool) -> str:
    """The detection MBConv: 1x1 expand to 6C, 5x5 depthwise, squeeze-excite, 1x1 project to C."""
    act, beta = ("relu6", 1.0) if lite else ("swish", ESWISH_BETA)
    y = a.act(a.conv(x, f"{key}.conv1", f"{name}_conv1", 6 * width, bn=(f"{key}.bn1", f"{name}_conv1_bn")), act)
    y = a.act(a.conv(y, f"{key}.dconv", f"{name}_dconv1", 6 * width, 5, depthwise=True,
                     bn=(f"{key}.bn2", f"{name}_dconv1_bn"), scale=beta), act)
    if not lite:
        y = _se(a, y, f"{key}.se", (f"{name}_se_se_squeeze_conv", f"{name}_se_se_excite_conv"), width // 4, act,
                (beta, beta))
    return a.conv(y, f"{key}.conv2", f"{name}_conv2", width, bn=(f"{key}.bn3", f"{name}_conv2_bn"), scale=beta)


def _detection_pass(a: Architecture, x: str, p: int) -> str:
    """Mobile DenseNets (three densely joined MBConvs; each after the first adds a skip)."""
    v = a.variant
    for b in range(v.depth):
        key, name = f"pass{p}.blocks.{b}", f"pass{p}_block{b + 1}_mbconv{{}}_{_PASS_TAGS[p]}"
        x1 = _mbconv(a, x, f"{key}.mbconv1", name.format(1), v.width, v.lite)
        dense = a.join("concat", [_mbconv(a, x1, f"{key}.mbconv2", name.format(2), v.width, v.lite), x1])
        out = a.join("concat", [_mbconv(a, dense, f"{key}.mbconv3", name.format(3), v.width, v.lite), dense])
        x = out if b == 0 else a.join("add", [out, x])
    return x


def describe(variant: Variant) -> Architecture:
    """The layers and operations of ``variant``: image (NCHW, normalised) to heatmaps (NCHW)."""
    a = Architecture(variant)
    a.channels[a.IMAGE], a.sizes[a.IMAGE] = 3, variant.resolution
    feats = _backbone(a, a.IMAGE, "backbone_high", variant.backbone_high, 3, 1, True)
    if variant.backbone_low:
        low = a.add_op("pool", [a.IMAGE], 3, variant.resolution // 2)
        # upstream cut the low branch before its last block's residual add
        feats = a.join("concat", [feats, _backbone(a, low, "backbone_low", variant.backbone_low, 2, 2, False)])
    x = feats
    for p in (1, 2):
        x = _detection_pass(a, x, p)
        if not variant.lite:  # the earlier passes' maps train the network; the Lite models have none
            a.layer(x, f"pass{p}.head", _HEAD_NAMES[p], NUM_PAFS if p == 1 else NUM_JOINTS, bias=True)
        x = a.join("concat", [x, feats])
    x = _detection_pass(a, x, 3)
    x = a.conv(x, "pass3.head", _HEAD_NAMES[3], NUM_JOINTS, bias=True)
    size, deconvs = a.sizes[x], []
    for i, name in enumerate(_UPSCALE_NAMES[:UPSCALE_STEPS]):
        deconvs.append(Conv(f"upscale.{i}", name, NUM_JOINTS, NUM_JOINTS, 4, 2, bias=True, pads=(1, 1, 1, 1),
                            transpose=True))
    a.layers.extend(deconvs)
    a.add_op("upscale", [x], NUM_JOINTS, size * 2**UPSCALE_STEPS, tuple(deconvs))
    return a


def check_shapes(variant: str, target: dict[str, tuple[int, ...]], state: dict[str, np.ndarray], source: str) -> None:
    """Raise PoseappError unless ``state`` has exactly the keys and shapes in ``target``."""
    extra = sorted(set(state) - set(target))
    if extra:
        raise PoseappError(f"weights from {source} do not fit {variant}: unexpected {', '.join(extra[:3])}")
    for key, shape in target.items():
        if key not in state:
            raise PoseappError(f"weights from {source} do not fit {variant}: nothing for {key}")
        if tuple(state[key].shape) != tuple(shape):
            raise PoseappError(f"weights from {source} do not fit {variant}: {key} has shape "
                               f"{tuple(state[key].shape)}, {variant} needs {tuple(shape)}")
