"""``poseapp export``: an existing result (its JSON, the CSV beside it and its gait file, if any)
written again in other formats, without the model.

Positions go out in metres when the CSV has metre columns (``poseapp video`` calibrated), when
the gait file holds a calibration (a live recording, calibrated by the window's height or scale
line after it stopped), or when the caller gives one (such a recording without measurable
walking): the same conversion as ``poseapp video``'s, from the smoothed positions when the result
was smoothed, else the raw ones above the score threshold."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from poseapp.calibration import Calibration, from_json
from poseapp.errors import PoseappError
from poseapp.io.records import SCHEMA_VERSION, read_records
from poseapp.io.schema import GAIT, RESULT, read_json, validate
from poseapp.outputs import FORMATS, OutputSet, Row, Session, exports_among
from poseapp.outputs.c3d_file import events_left_out
from poseapp.smoothing import positions

log = logging.getLogger(__name__)


def load_result(path: str | Path) -> dict:
    """A result JSON of this program, checked: PoseappError naming what is wrong."""
    path = Path(path)
    meta = read_json(path, "a poseapp result")
    if not isinstance(meta, dict) or "poseapp" not in meta or "csv_schema" not in meta:
        raise PoseappError(f"{path} is not a poseapp result JSON (no poseapp version or csv_schema)")
    version = meta["csv_schema"]
    if isinstance(version, int) and not isinstance(version, bool) and version not in (1, SCHEMA_VERSION):
        raise PoseappError(f"{path} was written with CSV schema {meta['csv_schema']}; this poseapp reads 1 and "
                           f"{SCHEMA_VERSION}")
    validate(meta, RESULT, path, "a poseapp result")
    return meta


def load_gait(path: Path) -> dict | None:
    """The gait file beside a result (``<name>_gait.json``), checked; None when there is none."""
    return read_json(path, "a gait file", GAIT) if path.exists() else None


def export_result(path: str | Path, formats: str | tuple[str, ...], out_dir: str | Path | None = None,
                  calibration: Calibration | None = None) -> list[Path]:
    """Write ``formats`` (not the CSV and JSON, which the result has) for the result at ``path``;
    the files made, all complete, or none of them. ``calibration`` puts a result in pixels into
    metres when its gait file holds none (a recording whose gait could not be measured)."""
    path = Path(path)
    meta = load_result(path)
    wanted = exports_among(formats)
    if not wanted:
        raise PoseappError(f"nothing to export: the result has its CSV and JSON; choose from "
                           f"{', '.join(exports_among(tuple(FORMATS)))}")
    csv_path = path.with_suffix(".csv")
    records = read_records(csv_path)
    if not len(records.values):
        raise PoseappError(f"{csv_path} holds no frames: nothing to export")
    gait_path = path.with_name(path.stem + "_gait.json")
    gait = load_gait(gait_path) or {}
    events = gait.get("events")
    times = records.column("time_s")
    fps = _rate(times, (meta.get("source") or {}).get("fps"), csv_path)
    folder = Path(out_dir) if out_dir is not None else path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PoseappError(f"cannot make the folder {folder}: {exc.strerror}") from exc
    kp = records.keypoints()
    smoothed = records.xy(smoothed=True) if records.smoothed else None
    metres = _metres(records) if records.metres else None
    if metres is None and gait.get("calibration"):
        calibration = from_json(gait["calibration"], str(gait_path))
    if metres is None and calibration is not None:
        cal = calibration
        threshold = float((meta.get("options") or {}).get("threshold", 0.3))
        metres = cal.to_metres(positions(kp, smoothed, threshold))
        meta = {**meta, "calibration": cal.to_json()}
    outs = OutputSet(folder, Session(path.stem, float(fps), records.smoothed, metres is not None), wanted)
    try:
        names = [c for c in records.columns if c in _angle_names()]
        angle_values = np.stack([records.column(n) for n in names], 1) if names else np.zeros((len(times), 0))
        for i, t in enumerate(times):
            outs.write(Row(int(records.column("frame")[i]), float(t), bool(records.column("found")[i]), kp[i],
                           None if smoothed is None else smoothed[i], None if metres is None else metres[i],
                           dict(zip(names, map(float, angle_values[i])))))
        outs.finish(meta, events)
    except OSError as exc:
        outs.discard()
        raise PoseappError(f"cannot write in {folder}: {exc.strerror or exc}") from exc
    except BaseException:
        outs.discard()
        raise
    notice = events_left_out(events, wanted)
    if notice:
        log.warning(notice)
    return outs.paths


def _rate(times: np.ndarray, declared: float | None, csv_path: Path) -> float:
    """The exports' frame rate: the result's, unless the CSV's own times disagree with it by more
    than 10% (a result JSON edited or mixed up with another clip's): then the times' (the median
    frame interval), said in the log; the times' alone when the result gives none."""
    measured = 1.0 / float(np.median(np.diff(times))) if len(times) > 1 else None
    if measured is None:
        return float(declared or 30.0)
    if declared and abs(declared - measured) <= 0.1 * measured:
        return float(declared)
    if declared:
        log.warning("the result says %g fps but the times in %s are %g fps apart: the exports use %g",
                    declared, csv_path.name, measured, measured)
    return measured


def _angle_names() -> set[str]:
    from poseapp.angles import ANGLE_NAMES

    return set(ANGLE_NAMES)


def _metres(records) -> np.ndarray:
    from poseapp.joints import JOINTS

    return np.stack([np.stack([records.column(f"{j}_{c}_m") for c in ("x", "y")], -1) for j in JOINTS], 1)
