"""Which optional libraries this install holds, asked without importing them."""

from __future__ import annotations

import importlib.util

#: The libraries the plain install and the packaged ``cpu`` app leave out.
TORCH_MODULES = ("torch", "torchvision", "timm")
#: What to tell someone whose install lacks torch (the plain install, the packaged ``cpu`` app).
TORCH_HINT = "install it with pip install 'poseapp[torch]' (from the source folder: pip install -e '.[torch]')"


def torch_present() -> bool:
    """Whether torch can be imported (the plain install and the packaged ``cpu`` app leave it out)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False
