"""Running code in a fresh interpreter with some packages made unimportable."""

from __future__ import annotations

import os
import subprocess
import sys


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
