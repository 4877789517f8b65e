"""The GUI-rate benchmark runs end to end (two short slices, offscreen) and reports what the README cites."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_gui_rate_runs_and_reports_every_figure(tmp_path) -> None:
    out = tmp_path / "rate.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gui_rate.py"), "--models", "RT",
                           "--slices", "2", "--slice-seconds", "0.5", "--json", str(out)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["slices"] == 2 and report["clip"].startswith("pan-and-zoom")
    (row,) = report["results"]
    assert row["model"] == "RT"
    assert len(row["slice_pairs"]) == 2 and all(r > 0 for r in row["slice_pairs"])
    assert row["bare_fps"] > 0 and row["inference_fps"] > 0 and row["capture_fps"] > 0
    slowest, fastest = row["bare_fps_slices"]
    assert 0 < slowest <= row["bare_fps"] <= fastest
    assert abs(row["gui_vs_bare"] - row["inference_fps"] / min(row["bare_fps"], 30.0)) < 0.01
    assert row["latency_ms_median"] > 0 and row["dropped_per_s"] >= 0
