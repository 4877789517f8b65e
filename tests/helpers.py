"""Running code in a fresh interpreter with some packages made unimportable; loading the repository's
scripts (benchmarks, packaging) as modules."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from types import ModuleType

from tests.conftest import ROOT


def load_script(path: str, name: str | None = None) -> ModuleType:
    """The script at ``path`` (relative to the repository) as a module named ``name`` (its stem),
    registered in ``sys.modules`` (dataclasses look their module up), with its folder importable
    (the benchmarks import each other) after everything installed, which it must not shadow."""
    script = ROOT / path
    name = name or script.stem
    if str(script.parent) not in sys.path:
        sys.path.append(str(script.parent))
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_without(blocked: tuple[str, ...], body: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``body`` in a new Python where importing any of ``blocked`` raises ImportError."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {blocked!r}:\n"
        "            raise ImportError(name + ' is blocked for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        + body
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})
