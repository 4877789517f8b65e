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
from collections import OrderedDict
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
    """Our PyTorch module, on CPU, CUDA (half precision) or MPS.

    On CUDA three things keep the GPU busy rather than waiting (an H200, ``benchmarks/gpu.py``:
    II's batch of 8 in fp16 went from 99.9 to 8.2 ms, RT's single crop from 11.1 to 1.6): frames and
    heatmaps cross through page-locked host memory (copies from ordinary memory were the larger part
    of a batch's time); cuDNN times its kernels once per shape and keeps the fastest
    (``cudnn.benchmark``); and a batch shape met a second time is captured as a CUDA graph and
    replayed (RT's few hundred kernels launched one by one from Python: 15.4 ms eager against 1.6
    replayed). ``graphs`` False runs every call eagerly.
    """

    name = "torch"
    #: Batch shapes whose graphs are kept (each holds its own memory); the least recently used goes.
    GRAPH_SHAPES = 4

    def __init__(self, variant: str, state: dict[str, np.ndarray], device: str = "cpu",
                 half: bool | None = None, source: str = "the cache", graphs: bool | None = None) -> None:
        import torch

        from poseapp.model.efficientpose import load_model

        self.torch = torch
        self.device = device
        self.cuda = device == "cuda"
        self.half = self.cuda if half is None else half
        self.graphs = self.cuda if graphs is None else graphs and self.cuda
        self._seen: dict[tuple[int, ...], int] = {}
        self._captured: OrderedDict[tuple[int, ...], tuple] = OrderedDict()
        model = load_model(variant, state, source).to(device)
        self.model = model.half() if self.half else model
        if self.cuda:
            torch.backends.cudnn.benchmark = True

    def run(self, batch: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self._to_host(self._heatmaps(batch))

    def summits(self, batch: np.ndarray, refine: bool = True) -> np.ndarray:
        """(N, S, S, 3) -> (N, 16, 3) joints in input pixels, decoded as ``decode.peaks`` does but
        blurred and searched where the heatmaps are: off a GPU come 16 x 7 numbers a crop, not the
        heatmaps, and the CPU is spared the blur (on the H200's machine, 0.2 ms a plane, 16 planes
        a crop, about half a video's time there). ``Engine`` uses it on a GPU only: on a CPU
        OpenCV's blur is three times faster than torch's."""
        from poseapp.inference.decode import AROUND, finish

        torch = self.torch
        with torch.inference_mode():
            maps = self._heatmaps(batch)
            n, j, h, w = maps.shape
            smooth = self._blur(maps.reshape(n * j, 1, h, w)).reshape(n * j, h * w)
            flat = smooth.argmax(1)
            ys, xs = flat // w, flat % w
            dy, dx = (torch.tensor(d, device=maps.device) for d in zip(*AROUND))
            at = (ys[:, None] + dy).clamp(0, h - 1) * w + (xs[:, None] + dx).clamp(0, w - 1)
            around = self._to_host(torch.gather(smooth, 1, at))
            ys, xs = self._to_host(torch.stack([ys, xs])).astype(np.int64)
        return finish(ys, xs, around, h, w, refine).reshape(n, j, 3)

    def _heatmaps(self, batch: np.ndarray):
        """(N, 16, S, S) float32 heatmaps on the device, for an NHWC float32 batch."""
        x = self.torch.from_numpy(np.ascontiguousarray(batch, np.float32))
        x = (x.pin_memory() if self.cuda else x).to(self.device).permute(0, 3, 1, 2)
        return self._forward(x.half() if self.half else x).float()

    def _to_host(self, y) -> np.ndarray:
        """A device tensor as a numpy array of its own (through page-locked memory on CUDA)."""
        if not self.cuda:
            return y.cpu().numpy()
        host = self.torch.empty(y.shape, dtype=y.dtype, pin_memory=True)
        host.copy_(y)
        return host.numpy()

    def _blur(self, planes):
        """``decode.blur`` on the device: OpenCV's 9-tap Gaussian (sigma 1) along each axis, edges
        reflected with the edge pixel repeated (OpenCV's BORDER_REFLECT)."""
        import cv2

        torch = self.torch
        taps = torch.from_numpy(cv2.getGaussianKernel(9, 1.0).astype(np.float32).ravel()).to(planes.device)
        for axis in (3, 2):
            n = planes.shape[axis]
            edge = torch.arange(-4, n + 4, device=planes.device)
            edge = torch.where(edge < 0, -edge - 1, torch.where(edge >= n, 2 * n - 1 - edge, edge)).clamp(0, n - 1)
            planes = planes.index_select(axis, edge)
            shape = (1, 1, 1, 9) if axis == 3 else (1, 1, 9, 1)
            planes = torch.nn.functional.conv2d(planes, taps.reshape(shape))
        return planes

    def _forward(self, x):
        """The module on ``x``: eagerly, or by replaying the graph captured for its shape."""
        if not self.graphs:
            return self.model(x)
        key = tuple(x.shape)
        if key not in self._captured:
            if len(self._seen) > 64:
                self._seen.clear()
            self._seen[key] = self._seen.get(key, 0) + 1
            if self._seen[key] < 2:
                return self.model(x)  # a shape met once (a search's odd batch) is not worth a graph
            try:
                self._captured[key] = self._capture(x)
            except RuntimeError:  # this GPU or driver cannot capture, or its memory ran out
                self.graphs = False  # eager from now on, with the graphs' memory given back
                self._captured.clear()
                if self.cuda:
                    self.torch.cuda.empty_cache()
                return self.model(x)
            if len(self._captured) > self.GRAPH_SHAPES:
                self._captured.popitem(last=False)
        self._captured.move_to_end(key)
        static_in, static_out, graph = self._captured[key]
        static_in.copy_(x)
        graph.replay()
        return static_out.clone()  # the next replay overwrites static_out

    def _capture(self, x) -> tuple:
        """A CUDA graph of the module on inputs shaped like ``x``, with its input and output tensors."""
        torch = self.torch
        static_in = x.clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):  # capture needs the kernels chosen and the memory warmed on a side stream
                self.model(static_in)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = self.model(static_in)
        return static_in, static_out, graph


def session_options(threads: int | None = None, spin: bool = True):
    """ONNX Runtime's CPU session options: ``threads`` for the operators (None: its choice), one
    thread between them, every graph optimisation, and busy-waiting only with ``spin``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


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
        self.session = ort.InferenceSession(str(path), session_options(threads, spin),
                                            providers=["CPUExecutionProvider"])
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
