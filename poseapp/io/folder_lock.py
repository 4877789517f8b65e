"""One run at a time per output folder: an OS file lock that dies with its process.

Two batches writing into one folder would mix their results (one run's JSON beside the other's
CSV). The lock is held on ``.poseapp.lock`` in the folder for the whole run; the operating system
releases it when the process ends, however it ends, so a killed run never leaves a stale lock.
The (empty) lock file stays: removing it while another run opens it would let two runs in.
``waiting_lock`` is the same lock for work that others wait for instead of failing (a model's
first-use preparation, which several batch workers may start at once).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from poseapp.errors import PoseappError

LOCK_NAME = ".poseapp.lock"


def _try_lock(fd: int) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s run lock for the block; PoseappError naming the holder when another run has
    it. The lock file is removed when the block ends normally (a killed run leaves it: harmless,
    the OS lock went with the process)."""
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PoseappError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        if not _try_lock(fd):
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() if hasattr(os, "pread") else ""
            raise PoseappError(f"another poseapp run{f' (process {holder})' if holder else ''} is writing "
                               f"to {folder}: wait for it to finish, or choose another --out")
        if hasattr(os, "pwrite"):  # the holder's process id, for the message above
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
        path.unlink(missing_ok=True)  # still held: a run that finished leaves no lock file behind
    finally:
        os.close(fd)


@contextmanager
def waiting_lock(path: Path, poll_s: float = 0.05) -> Iterator[None]:
    """Hold the OS lock on the file ``path`` for the block, waiting while another process (or
    thread) holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while not _try_lock(fd):
            time.sleep(poll_s)
        yield
    finally:
        os.close(fd)
