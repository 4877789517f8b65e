"""A session report as HTML and pictures, without Qt: ``poseapp.gui.report_pdf`` prints it to PDF,
``Report.html(embedded=True)`` is the self-contained HTML file.

From a result JSON and the files beside it (the CSV, the gait JSON): the subject and session
fields (kept in the result files only), a key frame with the skeleton (the source video's most
confident frame, when the video is still there), each joint angle over time with its normal
range shaded, a range-of-motion table against the normal ranges, the gait parameters with
left/right symmetry and the gait-cycle curves where the gait analysis ran, the method (model,
weights, preset, smoothing, calibration) and what the figures can be trusted for. With a second
result, a before/after view: both sessions' curves on one plot and a table of differences.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from poseapp.angles import JOINT_ANGLE_NAMES, NORMAL_RANGES, angles_from_xy, range_of_motion
from poseapp.errors import PoseappError
from poseapp.gait import GAIT_MARGIN_DEG, low_passed, mean_text
from poseapp.io.records import Records, read_records
from poseapp.outputs.export import load_gait, load_result

TRUST = (
    "All angles are two-dimensional, measured in the image plane: they hold for movement parallel to it "
    "and change when a limb turns toward the camera. Published side-view 2-D pose estimation against "
    "marker-based capture (Stenum, Rossi and Roemmich 2021) found mean absolute errors of about 4 degrees "
    "at the hip and 5.6 at the knee and gait events within about 0.02 s; this software's own error against "
    "markers has not been measured. Normal ranges are the American Academy of Orthopaedic Surgeons' active "
    "ranges, for orientation only. Metres rest on the calibration stated above. Signs: hip and knee flexion "
    "and trunk inclination are positive in flexion (thigh ahead of the trunk, knee bent, trunk leaning "
    "forward) and negative in extension (thigh behind the trunk, knee bent backward, trunk leaning back), "
    "forward being the way the person faces; the other angles are unsigned, 0 at full extension."
)

#: The charts' lettering on the page: drawn at 1.7 times its screen size, then fitted to the text
#: width, it prints at about 8 pt (at 1, about 4.5 pt).
PRINT_TEXT = 1.7


@dataclass
class Session:
    """One result and what the report reads beside it."""

    path: Path
    meta: dict
    records: Records
    gait: dict | None = None

    @property
    def times(self) -> np.ndarray:
        return self.records.column("time_s")

    @cached_property
    def clinical(self) -> tuple[dict[str, np.ndarray], str]:
        """``clinical_angles`` of this result, made once (the ranges, the charts and the note read it)."""
        return clinical_angles(self.records, self.threshold)

    def angles(self) -> dict[str, np.ndarray]:
        """The joint angles the report shows (``clinical_angles``)."""
        return self.clinical[0]

    @property
    def threshold(self) -> float:
        value = (self.meta.get("options") or {}).get("threshold")
        return float(value) if isinstance(value, (int, float)) else 0.3

    def range_of_motion(self) -> dict:
        """Min, max, mean and range of the report's angles (not the raw ones of the result JSON)."""
        return range_of_motion(self.angles())

    @property
    def label(self) -> str:
        return f"{self.path.stem} ({self.meta.get('created', '')[:10]})"


#: What the report's angles are, said on the report.
SMOOTHING_NOTE = ("Angles in this report come from the joints low-passed at 6 Hz (Butterworth, zero lag, gaps of up "
                  "to 10 frames filled), as the gait analysis uses them, with left and right as the tracker "
                  "checked them frame by frame; single-frame spikes of the raw series are not in the ranges. "
                  "The CSV keeps the raw values.")


def clinical_angles(records: Records, threshold: float = 0.3) -> tuple[dict[str, np.ndarray], str]:
    """The joint angles a clinician can defend, and the sentence saying how they were made: from
    the result's smoothed joints when it has them, else from its raw joints above ``threshold``
    low-passed at 6 Hz (``smoothing.smooth_trajectory``); signed as everywhere (``angles``)."""
    if records.smoothed:
        xy = records.xy(smoothed=True)
        note = "Angles in this report come from the result's smoothed joints (as its CSV has them)."
    else:
        xy, note = low_passed(records.keypoints(), records.column("time_s"), threshold), SMOOTHING_NOTE
    angles = angles_from_xy(xy, JOINT_ANGLE_NAMES)
    return {n: angles[n] for n in JOINT_ANGLE_NAMES}, note


def load_session(path: str | Path) -> Session:
    """A result JSON, its CSV and its gait file; PoseappError when one is missing or foreign."""
    path = Path(path)
    meta = load_result(path)
    records = read_records(path.with_suffix(".csv"))
    gait_path = path.with_name(path.stem + "_gait.json")
    gait = load_gait(gait_path)
    return Session(path, meta, records, gait)


@dataclass
class Report:
    """The report's HTML (images referred to by name) and its images (RGB arrays) by name."""

    title: str
    body: str
    images: dict[str, np.ndarray] = field(default_factory=dict)
    pages: int = 1  # the page breaks the body asks for, plus one

    def html(self, embedded: bool = False) -> str:
        """The whole HTML document; ``embedded`` puts the images in as data URIs (a standalone file)."""
        body = self.body
        if embedded:
            from poseapp.io.images import encode_png

            for name, rgb in self.images.items():
                data = base64.b64encode(encode_png(rgb)).decode("ascii")
                body = body.replace(f'src="{name}"', f'src="data:image/png;base64,{data}"')
        style = ("body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;color:#222}"
                 "h1{font-size:17pt;margin-bottom:2pt}h2{font-size:13pt;margin-top:10pt;color:#1e5ea8}"
                 "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
                 "th{background:#e8eef6;text-align:left}.num{text-align:right}.small{font-size:8.5pt;color:#555}"
                 ".flag{color:#b03a2e;font-weight:bold}")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
                f"<style>{style}</style></head><body>{body}</body></html>")


def _num(v: object, digits: int = 1) -> str:
    """A number to ``digits`` places; "-" for anything that is not a finite number (a result file
    edited by hand may hold text or markup where a number belongs)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
        return "-"
    return f"{v:.{digits}f}"


class Markup(str):
    """A table cell that is HTML written here (a flag), not a value: ``_table`` escapes every other cell."""


def _table(header: list[str], rows: list[list[object]], numeric_from: int = 1) -> str:
    """An HTML table; every cell is escaped, whatever its type, except ``Markup``; a header of
    empty names is left out."""
    def cell(c: object) -> str:
        return c if isinstance(c, Markup) else html.escape(str(c))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header) if any(header) else ""
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{cell(c)}</td>" if i >= numeric_from else f"<td>{cell(c)}</td>" for i, c in enumerate(r))
        + "</tr>" for r in rows)
    return f"<table width='100%'>{f'<tr>{head}</tr>' if head else ''}{body}</table>"


def _key_frame(session: Session) -> np.ndarray | None:
    """The source's most confident frame with the skeleton, or None without the video."""
    from poseapp.draw import draw_pose
    from poseapp.io.video import VideoReader
    from poseapp.pose import Box, Pose

    source = Path((session.meta.get("source") or {}).get("path") or "")
    scores = np.nan_to_num(session.records.column("score"), nan=-1.0) * session.records.column("found")
    if not source.is_file() or not len(scores) or scores.max() <= 0:
        return None
    row = int(np.argmax(scores))
    target = int(session.records.column("frame")[row])
    try:
        with VideoReader(source) as reader:
            for frame in reader:
                if frame.index == target:
                    kp = session.records.keypoints()[row]
                    pose = Pose(np.nan_to_num(kp, nan=0.0), Box(0, 0, 1), "")
                    drawn = draw_pose(frame.rgb, pose, session.meta.get("options", {}).get("threshold", 0.3),
                                      draw_box=False)
                    return _around(drawn, kp)
                if frame.index > target:
                    break
    except PoseappError:
        return None
    return None


def _around(rgb: np.ndarray, keypoints: np.ndarray, margin: float = 0.35) -> np.ndarray:
    """The part of the frame around the person's joints (``margin`` of their extent on each side),
    at least as wide as it is tall, so a small subject is seen."""
    seen = keypoints[np.isfinite(keypoints[:, :2]).all(1)]
    if not len(seen):
        return rgb
    (x0, y0), (x1, y1) = seen[:, :2].min(0), seen[:, :2].max(0)
    h = (y1 - y0) * (1 + 2 * margin)
    w = max((x1 - x0) * (1 + 2 * margin), 0.8 * h)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    top, left = int(max(0, cy - h / 2)), int(max(0, cx - w / 2))
    crop = rgb[top:int(min(rgb.shape[0], cy + h / 2)), left:int(min(rgb.shape[1], cx + w / 2))]
    return crop if crop.size else rgb


def _rom_rows(session: Session) -> list[list[str]]:
    rom = session.range_of_motion()
    rows = []
    for name in JOINT_ANGLE_NAMES:
        s = rom.get(name) or {}
        normal = NORMAL_RANGES.get(name)
        flag = ""
        if normal and (_num(s.get("max")) != "-" and s["max"] > normal[1]
                       or _num(s.get("min")) != "-" and s["min"] < normal[0]):
            flag = Markup("<span class='flag'>beyond normal</span>")
        rows.append([name.replace("_", " "), _num(s.get("min")), _num(s.get("max")), _num(s.get("range")),
                     f"{normal[0]}-{normal[1]}" if normal else "-", str(s.get("frames", 0)), flag])
    return rows


def _gait_headline(gait: dict) -> list[list[str]]:
    """Cadence and speed: of the walk, not of a side."""
    rows = [["cadence (steps/min)", _num(gait.get("cadence_steps_per_min"))]]
    if gait.get("speed_m_per_s") is not None:
        rows.append(["walking speed (m/s)", _num(gait["speed_m_per_s"], 2)])
    return rows


def _gait_rows(gait: dict) -> list[list[str]]:
    """Each step and stride measure per side (mean ± SD, n, "too few" under 3) and its symmetry."""
    unit = gait["unit"]
    rows = []
    for label, key, d in (("step time (s)", "step_time_s", 3), (f"step length ({unit})", f"step_length_{unit}", 3),
                          ("stride time (s)", "stride_time_s", 3),
                          (f"stride length ({unit})", f"stride_length_{unit}", 3), ("stance (%)", "stance_pct", 1),
                          ("swing (%)", "swing_pct", 1), ("double support (%)", "double_support_pct", 1)):
        cells = []
        for side in ("left", "right"):
            s = gait["sides"][side].get(key) or {}
            cells.append(mean_text(s, d) if _num(s.get("mean")) != "-" else "-")
        rows.append([label, *cells, _num(gait["symmetry_index_pct"].get(key))])
    return rows


def _method(session: Session) -> str:
    meta, opts = session.meta, session.meta.get("options", {})
    weights = "; ".join(f"{m}: {w.get('upstream_file') or w.get('file') or 'trained'} "
                        f"(git blob {str(w.get('git_blob', '-'))[:12]}, SHA-256 {str(w.get('sha256', '-'))[:12]})"
                        for m, w in (meta.get("weights") or {}).items() if isinstance(w, dict))
    cal = meta.get("calibration") or (session.gait or {}).get("calibration")  # results before 2026-12-08
    cal_text = "none: lengths in pixels" if not cal else (
        f"{1000 * cal['metres_per_pixel']:.3f} mm per pixel from "
        + (f"a height of {cal['height_m']} m" if cal.get("method") == "height" else "a line of known length")
        + f", floor tilt {cal.get('floor_deg', 0):.1f} degrees")
    rows = [["software", f"poseapp {meta.get('poseapp', '?')}"], ["models", ", ".join(meta.get("models", []))],
            ["weights", weights or "-"],
            ["test-time augmentation", _augmentation(opts)],
            ["person", f"{opts.get('roi', '?')} ({opts.get('person', 'auto')}){_walker_text(meta.get('walker'))}"],
            ["smoothing", str(opts.get("smooth", "none"))], ["joint threshold", str(opts.get("threshold", "-"))],
            ["calibration", cal_text]]
    return _table(["", ""], rows, numeric_from=9)


def _augmentation(opts: dict) -> str:
    """Test-time augmentation in words: "none", or the flip and the scales looked at."""
    scales = [x for x in (opts.get("scales") or [1.0]) if isinstance(x, (int, float))]
    parts = (["mirrored look added"] if opts.get("flip") is True else []) + (
        [f"scales {', '.join(f'{x:g}' for x in scales)}"] if scales and scales != [1.0] else [])
    return "; ".join(parts) or "none (one look at each crop)"


def _walker_text(walker: dict | None) -> str:
    """What ``--person walker`` found, for the method table."""
    if not walker:
        return ""
    if walker.get("walker", True) is None:
        return ": nobody seen walking, the largest, most central person followed"
    if "first_time_s" not in walker:
        return ""
    return (f": who walks, first seen at {walker['first_time_s']:.1f} s, walking {walker['walked_s']:.1f} s "
            f"({len(walker.get('people_seen', []))} people seen)")


def build_report(path: str | Path, compare: str | Path | None = None, subject: dict | None = None) -> Report:
    """The report of the result at ``path`` (and the before/after view against ``compare``)."""
    from poseapp.plot import angle_chart, cycle_chart

    session = load_session(path)
    other = load_session(compare) if compare is not None else None
    fields = {**(session.meta.get("subject") or {}), **{k: v for k, v in (subject or {}).items() if v}}
    source = session.meta.get("source") or {}
    images: dict[str, np.ndarray] = {}
    parts = [f"<h1>Movement analysis: {html.escape(str(fields.get('name') or session.path.stem))}</h1>"]
    info = [["subject", fields.get("name") or "-"], ["session", fields.get("session") or "-"],
            ["notes", fields.get("notes") or "-"], ["recorded", session.meta.get("created", "-")],
            ["source", Path(source.get("path") or source.get("name") or "-").name],
            ["frames", f"{session.meta.get('frames', len(session.times))} "
                       f"({_num(session.times[-1] - session.times[0] if len(session.times) else 0, 1)} s)"]]
    parts.append(_table(["", ""], info, numeric_from=9))
    key = _key_frame(session)
    if key is not None:
        images["keyframe"] = key
        parts.append("<h2>Key frame</h2><p><img src=\"keyframe\" height=\"330\"></p>"
                     "<p class='small'>The frame the model was surest of, with the joints it kept.</p>")
    else:
        parts.append("<p class='small'>Key frame: the source video is not where the result says it was.</p>")
    parts.append("<h2>Range of motion</h2>")
    parts.append(_table(["angle", "min", "max", "range", "normal", "frames", "note"], _rom_rows(session)))
    parts.append(f"<p class='small'>{html.escape(session.clinical[1])}</p>")
    pages = 2
    parts.append("<h2 style='page-break-before:always'>Angles over time</h2>")
    images["angles"] = angle_chart(session.times, session.angles(), panel=(460, 200), bands=NORMAL_RANGES,
                                   compared=None if other is None else (other.times, other.angles()), text=PRINT_TEXT)
    legend = "" if other is None else (f" Blue: this result, {html.escape(session.label)}; orange: the one "
                                       f"compared, {html.escape(other.label)}.")
    parts.append(f"<p><img src=\"angles\" width=\"680\"></p><p class='small'>Shaded: the normal range.{legend}</p>")
    if session.gait is not None:
        pages += 1
        parts.append("<h2 style='page-break-before:always'>Gait</h2>")
        parts.append(_table(["", ""], _gait_headline(session.gait)))
        parts.append(_table(["parameter", "left", "right", "symmetry index %"], _gait_rows(session.gait)))
        parts.append("<p class='small'>Mean ± SD over the steps or strides of each side (n of them); "
                     "\"too few\" marks a mean over fewer than 3, which says little.</p>")
        checks = [f"{x['side']} stride, frames {x['start_frame']}-{x['end_frame']}: {what}"
                  for x in session.gait.get("strides") or [] if isinstance(x, dict)
                  for what in (x.get("check") or []) if isinstance(what, str)]
        if checks:
            parts.append(f"<p class='flag'>Check these strides (outside normal walking by more than "
                         f"{GAIT_MARGIN_DEG:g} degrees; left out of the mean curves below): "
                         + html.escape("; ".join(checks)) + "</p>")
        images["cycles"] = cycle_chart(session.gait["cycles"], panel=(520, 340), text=PRINT_TEXT)
        parts.append("<p><img src=\"cycles\" width=\"680\"></p><p class='small'>Knee and hip flexion over the gait "
                     "cycle (heel strike to heel strike), mean and one SD per side. Events: "
                     f"{html.escape(str(session.gait.get('method', '')))}.</p>")
    if other is not None:
        parts.append("<h2>Before and after</h2>")
        parts.extend(f"<p class='flag'>{html.escape(note)}</p>" for note in _not_alike(other, session))
        parts.append(_table(["", "before", "after", "change"], _differences(other, session)))
    pages += 1
    parts.append("<h2 style='page-break-before:always'>Method</h2>")
    parts.append(_method(session))
    parts.append(f"<h2>What the figures can be trusted for</h2><p>{html.escape(TRUST)}</p>")
    return Report(f"Movement analysis {session.path.stem}", "".join(parts), images, pages)


def _not_alike(before: Session, after: Session) -> list[str]:
    """What makes two results less comparable than they look: other models (their angles differ
    by the model too) or frame rates (events and peaks are timed more or less finely)."""
    notes = []
    a, b = sorted(before.meta.get("models") or []), sorted(after.meta.get("models") or [])
    if a != b:
        notes.append(f"Compared across models ({', '.join(a) or '?'} before, {', '.join(b) or '?'} after): "
                     "part of each change is the model's.")
    rates = [(s.meta.get("source") or {}).get("fps") for s in (before, after)]
    if all(rates) and abs(rates[0] - rates[1]) > 0.01 * max(rates):
        notes.append(f"Compared across frame rates ({rates[0]:g} fps before, {rates[1]:g} after): events and "
                     "peaks are timed at different steps.")
    return notes


def _differences(before: Session, after: Session) -> list[list[str]]:
    """Range and maximum of each joint angle, and the gait's headline figures, before and after."""
    rows = []
    a, b = before.range_of_motion(), after.range_of_motion()
    for name in JOINT_ANGLE_NAMES:
        for stat in ("max", "range"):
            x, y = (a.get(name) or {}).get(stat), (b.get(name) or {}).get(stat)
            change = "-" if x is None or y is None else f"{y - x:+.1f}"
            rows.append([f"{name.replace('_', ' ')} {stat} (deg)", _num(x), _num(y), change])
    if before.gait is not None and after.gait is not None:
        for key, label in (("cadence_steps_per_min", "cadence (steps/min)"), ("speed_m_per_s", "speed (m/s)")):
            x, y = before.gait.get(key), after.gait.get(key)
            rows.append([label, _num(x, 2), _num(y, 2), "-" if x is None or y is None else f"{y - x:+.2f}"])
    return rows

