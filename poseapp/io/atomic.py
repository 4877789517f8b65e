"""Whole-file writes that never leave a half-written file: a hidden partial name, then a rename."""

from __future__ import annotations

import json
import math
import numbers
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, same folder, same suffix."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a partial path to write ``path``'s new content to; it replaces ``path`` when the
    block ends, and is removed if the block fails. The partial name is this process's and thread's
    own: two workers writing the same file at once (the first use of a model in a batch) each
    write whole, and the last rename wins."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}-{threading.get_ident()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def finite_json(data: object) -> object:
    """``data`` with every NaN or infinite float as None (JSON has no NaN, and a reader that meets
    Python's ``NaN`` token, as most do, refuses the whole file) and numpy scalars as Python's."""
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return data
    if isinstance(data, numbers.Integral):  # numpy's integers too
        return int(data)
    if isinstance(data, numbers.Real):
        return float(data) if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_json(v) for v in data]
    return data


def dumps(data: object, indent: int | None = None) -> str:
    """Strict JSON text of ``data`` (non-finite numbers as null)."""
    return json.dumps(finite_json(data), indent=indent, allow_nan=False)


def write_json(path: str | Path, data: dict) -> Path:
    """``data`` as indented strict JSON at ``path``, complete or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        tmp.write_text(dumps(data, indent=2) + "\n")
    return path


def read_json(path: str | Path, what: str) -> object:
    """The JSON at ``path``; a PoseappError naming ``what`` it should have been when it cannot be
    read or is not JSON."""
    from poseapp.errors import PoseappError

    path = Path(path)
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise PoseappError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise PoseappError(f"{path} is not {what} (not JSON: {exc})") from exc
