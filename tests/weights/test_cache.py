"""The weights' SHA-256: read once per file version in a process, read again when the file changes."""

from __future__ import annotations

import hashlib

import pytest

from poseapp.errors import PoseappError
from poseapp.weights import cache
from tests.conftest import UPSTREAM


def test_a_digest_is_remembered_until_the_file_is_replaced(tmp_path, monkeypatch):
    weights = tmp_path / "w.safetensors"
    weights.write_bytes((UPSTREAM / "MPII.jpg").read_bytes())
    reads = []
    real = cache.read_regular
    monkeypatch.setattr(cache, "read_regular", lambda p: reads.append(p) or real(p))
    first = cache.sha256(weights)
    assert first == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert cache.sha256(weights) == first and len(reads) == 1
    replacement = tmp_path / "new"
    replacement.write_bytes(b"x" * weights.stat().st_size)  # the same size, other bytes, renamed over it
    replacement.replace(weights)
    second = cache.sha256(weights)
    assert second == hashlib.sha256(weights.read_bytes()).hexdigest() != first and len(reads) == 2
    assert cache.sha256(weights) == second and len(reads) == 2
    with pytest.raises(PoseappError, match="not a regular file"):
        cache.sha256(tmp_path / "missing.safetensors")
