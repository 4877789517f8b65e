"""Whole-file writes that never leave a half-written file: a hidden partial name, then a rename."""

from __future__ import annotations

import json
import os
from pathlib import Path


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, same folder, same suffix."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def write_json(path: str | Path, data: dict) -> Path:
    """``data`` as indented JSON at ``path``, complete or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(path)
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
    return path
