"""Which optional libraries this install holds, asked without importing them."""

from __future__ import annotations

import importlib.util

#: The libraries the plain install and the packaged ``cpu`` app leave out.
TORCH_MODULES = ("torch", "torchvision", "timm")
#: poseapp's own modules that import torch at their top: the packaged ``cpu`` app leaves them out too.
TORCH_PARTS = ("poseapp.training", "poseapp.model.efficientpose", "poseapp.model.blocks")
#: What to tell someone whose install lacks torch (the plain install, the packaged ``cpu`` app).
TORCH_HINT = "install it with pip install 'poseapp[torch]' (from the source folder: pip install -e '.[torch]')"


def torch_present() -> bool:
    """Whether torch can be imported (the plain install and the packaged ``cpu`` app leave it out)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def needs_torch(missing: str) -> bool:
    """Whether a module found missing (``ModuleNotFoundError.name``) is torch or a part of poseapp
    that needs it, so that the right answer is the hint to install the extra, not a traceback."""
    return missing.split(".")[0] in TORCH_MODULES or any(
        missing == part or missing.startswith(part + ".") for part in TORCH_PARTS)
