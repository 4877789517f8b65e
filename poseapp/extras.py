"""Which optional libraries this install holds, asked without importing them."""

from __future__ import annotations

import importlib.util


def torch_present() -> bool:
    """Whether torch can be imported (the packaged ``cpu`` app leaves it out)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False
