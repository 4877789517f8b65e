"""Runtimes behind one small interface: NHWC float32 images in, NCHW final heatmaps out.

Heatmaps stay channel-first, as the network makes them: decoding reads each joint's plane, so a
transpose of the largest tensor in the pipeline would be pure cost (0.7 ms of RT's 6.9 here).

Each runtime imports its library inside its own class, so a missing one breaks nothing else.
On CPU the default is ONNX Runtime running the exported graph (no torch needed, and faster than
eager PyTorch and than upstream's TFLite runtime: see ``poseapp bench``); CUDA and MPS run the
PyTorch module, CUDA in half precision.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

import numpy as np

from poseapp.errors import PoseappError
from poseapp.weights.download import Progress
from poseapp.weights.models import ModelRef


class Backend(Protocol):
    name: str
    device: str

    def run(self, batch: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) float32 -> (N, 16, S, S) float32 heatmaps."""


BACKENDS = ("auto", "onnx", "torch")


def _cuda_driver_devices() -> int:
    """GPUs the NVIDIA driver reports, asked through its own library: no torch import (3 s)."""
    import ctypes
    import os

    try:
        lib = ctypes.CDLL("nvcuda.dll" if os.name == "nt" else "libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if lib.cuInit(0) != 0 or lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def _torch_has(device: str) -> bool:
    """Whether torch can really run on ``device`` (imports torch)."""
    try:
        import torch
    except ImportError:
        return False
    if device == "cuda":
        return torch.cuda.is_available()
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def available_devices() -> list[str]:
    """Devices present here, fastest first: cuda, mps, cpu (cpu always; GPUs only with torch).

    Listing asks the driver (CUDA) or the platform (Apple silicon) without importing torch, so a
    window opens seconds sooner; ``resolve_device`` confirms a GPU with torch before it is used.
    """
    import platform
    import sys

    from poseapp.extras import torch_present

    if not torch_present():
        return ["cpu"]
    found = []
    if _cuda_driver_devices() > 0:
        found.append("cuda")
    if sys.platform == "darwin" and platform.machine() == "arm64":
        found.append("mps")
    return found + ["cpu"]


def resolve_device(device: str) -> str:
    """'auto' -> the first of cuda, mps, cpu present and usable by torch; a named device must be both."""
    present = available_devices()
    if device == "auto":
        return next((d for d in present if d == "cpu" or _torch_has(d)), "cpu")
    if device not in present or (device != "cpu" and not _torch_has(device)):
        from poseapp.extras import TORCH_HINT, torch_present

        usable = [d for d in present if d == "cpu" or _torch_has(d)]
        hint = "" if torch_present() else f" (a GPU needs torch, which this install leaves out; {TORCH_HINT})"
        raise PoseappError(f"device {device!r} is not available here; available: {', '.join(usable)}{hint}")
    return device


class TorchBackend:
    """Our PyTorch module, on CPU, CUDA (half precision) or MPS."""

    name = "torch"

    def __init__(self, variant: str, state: dict[str, np.ndarray], device: str = "cpu",
                 half: bool | None = None, source: str = "the cache") -> None:
        import torch

        from poseapp.model.efficientpose import load_model

        self.torch = torch
        self.device = device
        self.half = (device == "cuda") if half is None else half
        model = load_model(variant, state, source).to(device)
        self.model = model.half() if self.half else model

    def run(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).permute(0, 3, 1, 2)
            if self.half:
                x = x.half()
            y = self.model(x).float()
            return y.cpu().numpy()


class OnnxBackend:
    """An exported graph run by ONNX Runtime on the CPU; ``threads`` None lets it choose.

    spin: ONNX Runtime's worker threads busy-wait between operators, 5% faster alone (RT, 2 cores)
    but stealing the CPU from everything else; the live view turns it off.
    """

    name = "onnx"
    device = "cpu"

    def __init__(self, path: str, threads: int | None = None, spin: bool = True) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise PoseappError("the onnx backend needs onnxruntime: pip install onnxruntime") from exc
        self.path = str(path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: np.ascontiguousarray(batch, np.float32)})[0]


def create_backend(model: str | ModelRef, device: str = "auto", backend: str = "auto", threads: int | None = None,
                   progress: Progress | None = None, spin: bool = True) -> Backend:
    """The runtime for ``model``: ONNX Runtime on CPU unless told otherwise, torch on a GPU."""
    from poseapp.extras import TORCH_HINT, torch_present
    from poseapp.weights.graphs import ensure_onnx
    from poseapp.weights.install import load_state
    from poseapp.weights.models import resolve

    ref = resolve(model)

    if backend not in BACKENDS:
        raise PoseappError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    device = resolve_device(device)
    if backend == "auto":
        backend = "onnx" if device == "cpu" and importlib.util.find_spec("onnxruntime") else "torch"
    if backend == "onnx":
        if device != "cpu":
            raise PoseappError(f"the onnx backend runs on the cpu, not {device}")
        return OnnxBackend(str(ensure_onnx(ref, progress)), threads, spin)
    if not torch_present():
        raise PoseappError(f"the torch backend (and the {device} device) needs torch, which this install leaves "
                           f"out; {TORCH_HINT}")
    if threads:
        import torch

        torch.set_num_threads(threads)
    return TorchBackend(ref.variant.name, load_state(ref, progress), device, source=str(ref.weights_path))
