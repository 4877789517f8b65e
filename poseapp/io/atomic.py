"""Whole-file writes that never leave a half-written file: a hidden partial name, then a rename."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The longest file name most file systems take, in bytes.
NAME_MAX = 255


def _partial_name(path: Path, tag: str = "") -> Path:
    """``path``'s hidden partial name (``tag`` makes it a writer's own); a name too long for the
    file system once ``.partial`` is added (a legal name of 250 bytes) is shortened to a digest."""
    name = f".{path.stem}.partial{tag}{path.suffix}"
    if len(name.encode()) > NAME_MAX:
        name = f".{hashlib.sha1(path.name.encode()).hexdigest()[:16]}.partial{tag}{path.suffix[:32]}"
    return path.with_name(name)


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, same folder, same suffix."""
    return _partial_name(path)


def check_target(path: str | Path) -> None:
    """PoseappError when ``path`` exists and is not a regular file: a link, a pipe, a device or a
    folder is never replaced by a file (``--out /dev/full`` as root would make the device a JSON
    file; a link is followed only where a caller resolves it on purpose)."""
    from poseapp.errors import PoseappError

    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PoseappError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(mode):
        raise PoseappError(f"{path} is a link: poseapp does not write through it (give the file it points to)")
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "not a regular file"
        raise PoseappError(f"{path} exists and is {kind}: poseapp replaces only regular files")


def commit(tmp: Path, path: Path) -> None:
    """Put the finished ``tmp`` in ``path``'s place, when ``path`` is a file it may replace."""
    check_target(path)
    os.replace(tmp, path)


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a partial path to write ``path``'s new content to; it replaces ``path`` when the
    block ends, and is removed if the block fails. The partial name is this process's and thread's
    own: two workers writing the same file at once (the first use of a model in a batch) each
    write whole, and the last rename wins."""
    path = Path(path)
    check_target(path)
    tmp = _partial_name(path, f"-{os.getpid()}-{threading.get_ident()}")
    try:
        yield tmp
        commit(tmp, path)
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
