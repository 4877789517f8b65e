"""Whole-file writes that never leave a half-written file: a hidden partial name, then a rename."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, same folder, same suffix."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield the partial path to write ``path``'s new content to; it replaces ``path`` when the
    block ends, and is removed if the block fails."""
    path = Path(path)
    tmp = partial_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | Path, data: dict) -> Path:
    """``data`` as indented JSON at ``path``, complete or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    return path
