"""The weights manifest: upstream's pinned commit, and per variant its files and git blob ids."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from poseapp.model.variants import get_variant


@dataclass(frozen=True)
class UpstreamFile:
    """One upstream model file: its path under ``models/`` and its git blob id."""

    path: str
    blob: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Manifest:
    commit: str
    base_url: str
    licence: str
    files: dict[str, tuple[UpstreamFile, ...]]

    def files_for(self, variant: str) -> tuple[UpstreamFile, ...]:
        """Upstream files for a variant, preferred first (TFLite, the runtime upstream ships)."""
        return self.files[get_variant(variant).name]


def _manifest_text() -> str:
    packaged = resources.files("poseapp").joinpath("_data/manifest.json")
    if packaged.is_file():
        return packaged.read_text()
    return (Path(__file__).resolve().parents[2] / "weights" / "manifest.json").read_text()


def manifest_section(key: str) -> dict:
    """One top-level section of ``weights/manifest.json`` as it is written (the detector's, say)."""
    return json.loads(_manifest_text())[key]


@lru_cache(maxsize=1)
def load_manifest() -> Manifest:
    """Parse ``weights/manifest.json`` (packaged as ``poseapp/_data`` in a wheel)."""
    raw = json.loads(_manifest_text())
    up = raw["upstream"]
    files = {
        name: tuple(UpstreamFile(f["path"], f["blob"]) for f in entry["files"])
        for name, entry in raw["variants"].items()
    }
    return Manifest(up["commit"], up["base_url"].format(commit=up["commit"]), up["licence"], files)


def git_blob_id(data: bytes) -> str:
    """The id ``git hash-object`` gives these bytes: sha1 of a 'blob <size>' header and the data."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()
