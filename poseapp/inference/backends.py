"""Runtimes behind one small interface: NHWC float32 batch in, NHWC final heatmaps out.

Each runtime imports its library inside its own class, so a missing one breaks nothing else.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from poseapp.errors import PoseappError


class Backend(Protocol):
    name: str
    device: str

    def run(self, batch: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) float32 -> (N, S, S, 16) float32 heatmaps."""


def available_devices() -> list[str]:
    """Devices present here, fastest first: cuda, mps, cpu (cpu always)."""
    found = []
    try:
        import torch

        if torch.cuda.is_available():
            found.append("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            found.append("mps")
    except ImportError:
        pass
    return found + ["cpu"]


def resolve_device(device: str) -> str:
    """'auto' -> the first of cuda, mps, cpu present; a named device must be present."""
    present = available_devices()
    if device == "auto":
        return present[0]
    if device not in present:
        raise PoseappError(f"device {device!r} is not available here; available: {', '.join(present)}")
    return device


class TorchBackend:
    """Our PyTorch module, on CPU, CUDA (half precision) or MPS."""

    name = "torch"

    def __init__(self, variant: str, state: dict[str, np.ndarray], device: str = "cpu",
                 half: bool | None = None, source: str = "the cache") -> None:
        import torch

        from poseapp.model.efficientpose import create_model

        self.torch = torch
        self.device = device
        self.half = (device == "cuda") if half is None else half
        from poseapp.weights.convert import check_state

        model = create_model(variant)
        check_state(model, state, source)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
        model = model.to(device)
        self.model = model.half() if self.half else model

    def run(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).permute(0, 3, 1, 2)
            if self.half:
                x = x.half()
            y = self.model(x).permute(0, 2, 3, 1).float()
            return y.cpu().numpy()
