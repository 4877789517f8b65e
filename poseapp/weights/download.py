"""Fetches one file from a URL (https or file://) into a folder, resumable and hash-checked."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.weights.manifest import git_blob_id

CHUNK = 1 << 16
#: No upstream model file is near this (IV's Keras file is ~35 MB): a source that sends more is
#: not sending a model, and the download stops instead of filling the disk.
MAX_WEIGHTS_BYTES = 96 * 2**20
#: progress(bytes_done, bytes_total or None); return False to cancel.
Progress = Callable[[int, "int | None"], bool]


def text_progress(label: str) -> Progress:
    """A progress bar on stderr, for the CLI: rewritten in place on a terminal; into a log file or
    pipe, one line when the download starts and one when it is complete."""
    tty = sys.stderr.isatty()
    started = False

    def report(done: int, total: int | None) -> bool:
        nonlocal started
        if not tty:
            if not started:
                started = True
                size = f" ({total / 1e6:.1f} MB)" if total else ""
                sys.stderr.write(f"{label}: downloading{size}\n")
            if total and done >= total:
                sys.stderr.write(f"{label}: downloaded\n")
            return True
        if total:
            filled = int(30 * done / total)
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done / 1e6:.1f}/{total / 1e6:.1f} MB")
        else:
            sys.stderr.write(f"\r{label} {done / 1e6:.1f} MB")
        if total and done >= total:
            sys.stderr.write("\n")
        return True

    return report


def fetch(url: str, dest: Path, blob: str, progress: Progress | None = None, timeout: float = 30,
          limit: int = MAX_WEIGHTS_BYTES, digest: Callable[[bytes], str] = git_blob_id) -> Path:
    """Download ``url`` to ``dest`` and check its hash (``digest``: the git blob id unless told); return ``dest``.

    At most ``limit`` bytes, and no more than the server's Content-Length: a source streaming
    past either is cut off with an error and its bytes deleted.
    Bytes go to ``dest.part`` first; an interrupted HTTP download resumes from there with a Range
    request (a server that ignores it restarts the file). Nothing is left at ``dest`` unless the
    hash matches: a mismatch deletes the part file and names both hashes.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url)
    if have and url.startswith(("http://", "https://")):
        request.add_header("Range", f"bytes={have}-")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            resumed = getattr(response, "status", 200) == 206
            if not resumed:
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else None
            cap = min(limit, total) if total else limit
            with open(part, "ab" if resumed else "wb") as out:
                done = have
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if done > cap:
                        out.close()
                        part.unlink(missing_ok=True)
                        raise PoseappError(f"{url} sent more than {cap / 2**20:.1f} MB: not an upstream model "
                                           "file; download stopped")
                    if progress and progress(done, total) is False:
                        raise MissingWeightsError(f"download of {url} cancelled")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MissingWeightsError(
            f"could not download {url}: {reason}. Offline? Point POSEAPP_WEIGHTS_SOURCE at a folder "
            "of upstream model files, or run `poseapp weights import DIR`."
        ) from exc
    got = digest(part.read_bytes())
    if got != blob:
        part.unlink(missing_ok=True)
        raise MissingWeightsError(f"{dest.name} from {url} is corrupt: hash {got}, expected {blob}")
    part.replace(dest)
    return dest
