"""Recorded video to numbers: one function per video (``analyse_video``) and the batch around it.

Per video it writes ``<name>.csv`` (schema in ``poseapp.io.records``), ``<name>_angles.png``,
optionally ``<name>_pose.mp4``, with ``gait`` ``<name>_gait.json`` and ``<name>_gait.png``
(``poseapp.gait``), and last ``<name>.json`` (metadata, calibration, range of motion, the gait's
headline figures), whose presence marks the video done. ``<name>`` is the file's stem, or its
path relative to the inputs' common folder when two inputs share a stem (``subjA/clip``,
``subjB/clip``), so no result is lost. Every file goes to a hidden partial name first and is renamed when
complete; a failure or Ctrl-C removes the partial files. ``run_batch`` runs videos one after
another, in N local processes (``workers``), or on a Ray cluster (``executor='ray'``), always
through ``analyse_video``; one bad file never stops the rest. A run holds its output folder's
lock (``io.folder_lock``): a second run into the same folder is refused, not mixed in.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from poseapp.analysis import AnalysisOptions, FrameAnalyser, make_engine, result_metadata
from poseapp.angles import JOINT_ANGLE_NAMES, SEGMENT_NAMES, angles_from_xy, continuous, range_of_motion
from poseapp.calibration import Calibration, calibrate, floor_angle
from poseapp.errors import PoseappError
from poseapp.inference.preprocess import full_box
from poseapp.io.atomic import partial_path, write_json
from poseapp.io.folder_lock import folder_lock
from poseapp.io.records import spreadsheet_safe
from poseapp.io.schema import MAX_FPS
from poseapp.io.video import VIDEO_SUFFIXES, Frame, VideoReader, VideoWriter
from poseapp.outputs import DEFAULT_FORMATS, FORMATS, OutputSet, Row, Session, parse_formats
from poseapp.outputs.c3d_file import events_left_out
from poseapp.pose import Pose
from poseapp.smoothing import mask_low_scores, positions, smooth_trajectory

if TYPE_CHECKING:
    from poseapp.localise.walker import Walker

#: Where the videos of a batch run: here (``--workers`` processes) or on a Ray cluster.
EXECUTORS = ("local", "ray")
#: Memory one local worker may need: its model, the person search's RT, a few decoded frames. One
#: clip with the defaults (II, tracking with RT's search) peaked at 877 MB resident:
#: ``/usr/bin/time -v poseapp video demo.mp4 --end 3 --workers 1 --threads 1`` (Sports2D's clip).
WORKER_MB = 900


@dataclass(frozen=True)
class VideoOptions(AnalysisOptions):
    """The shared analysis options and what only a recorded video has; recorded in its JSON."""

    video: ClassVar[bool] = True
    max_gap: int = 10  # frames; longer gaps stay missing
    cutoff_hz: float = 6.0  # Butterworth
    annotate: bool = False
    batch_size: int = 1  # frames per forward pass with roi 'full' (tracking needs the previous frame)
    overwrite: bool = False
    start_s: float = 0.0  # analyse only the frames from this time on (the walk in a longer clip)
    end_s: float | None = None  # ... and up to this time
    formats: tuple[str, ...] = DEFAULT_FORMATS  # result files (``poseapp.outputs``); CSV and JSON always
    gait: bool = False  # gait events and parameters after the pose pass (``poseapp.gait``)
    height_m: float | None = None  # calibration to metres: one of these three (``poseapp.calibration``)
    scale_line: str | None = None
    calibration: str | None = None

    def check(self) -> None:
        from poseapp import calibration

        super().check()
        if self.batch_size < 1:
            raise PoseappError("--batch-size must be at least 1")
        if sum(x is not None for x in (self.height_m, self.scale_line, self.calibration)) > 1:
            raise PoseappError("give one of --height, --scale-line and --calibration")
        parse_formats(self.formats)
        if self.start_s < 0 or (self.end_s is not None and self.end_s <= self.start_s):
            raise PoseappError(f"--start {self.start_s:g} and --end {self.end_s:g} must satisfy 0 <= start < end"
                               if self.end_s is not None else f"--start {self.start_s:g} must be 0 or more")
        if self.height_m is not None:
            calibration.check_height(self.height_m)
        if self.scale_line is not None:
            calibration.parse_scale_line(self.scale_line)
        if self.calibration is not None:
            calibration.load(self.calibration)


@dataclass
class VideoResult:
    source: str
    status: str  # 'done' | 'skipped' | 'failed'
    reason: str = ""
    frames: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    range_of_motion: dict[str, dict[str, float]] = field(default_factory=dict)
    name: str = ""  # the outputs' name: the stem, or a relative path where stems collide
    warnings: list[str] = field(default_factory=list)  # done, but the user should know (frames lost...)
    gait: dict | None = None  # with --gait: the headline figures (``_gait_summary``)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[str, int, int, float], None]  # name, frames done, frames declared, frames per second


def output_paths(name: str, out_dir: Path) -> dict[str, Path]:
    """A video's result files for its output ``name`` (see ``output_names``)."""
    paths = {kind: out_dir / f"{name}{cls.suffix}" for kind, cls in FORMATS.items()}
    return paths | {"png": out_dir / f"{name}_angles.png", "video": out_dir / f"{name}_pose.mp4",
                    "gait": out_dir / f"{name}_gait.json", "gait_png": out_dir / f"{name}_gait.png",
                    "people": out_dir / f"{name}_people.csv"}


def _resolved(path: Path) -> Path:
    """``path`` made absolute through its links; a link loop (which ``resolve`` raises on) stays
    as written, made absolute, so that its video alone fails when opened, not the whole batch."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def output_names(sources: list[Path]) -> dict[Path, str]:
    """Each source's output name: its stem, unless another source has the same stem; then its path
    below the sources' common folder (``subjA/clip``), and the suffix too if that still collides."""
    stems: dict[str, list[Path]] = {}
    for s in sources:
        stems.setdefault(s.stem, []).append(s)
    resolved = [_resolved(s) for s in sources]
    root = Path(os.path.commonpath([r.parent for r in resolved])) if sources else Path()
    names: dict[Path, str] = {}
    for s, r in zip(sources, resolved):
        if len(stems[s.stem]) == 1:
            names[s] = s.stem
        else:
            names[s] = r.relative_to(root).with_suffix("").as_posix()
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {s: n if counts[n] == 1 else f"{n}_{s.suffix.lstrip('.')}" for s, n in names.items()}


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given, folders as the videos in them, globs expanded; a name matching nothing stays
    in the list so that it is reported as missing."""
    found: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES)
        elif any(ch in item for ch in "*?["):
            found += sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())
        else:
            found.append(p)
    return list(dict.fromkeys(found))


_ENGINE_CACHE: dict[tuple, object] = {}


def engine_for(options: VideoOptions):
    """One engine per process and model settings: workers load their model once, not per video."""
    key = options.engine_key()
    if key not in _ENGINE_CACHE:
        _ENGINE_CACHE[key] = make_engine(options)
    return _ENGINE_CACHE[key]


def _batches(reader: VideoReader, size: int, start_s: float = 0.0, end_s: float | None = None
             ) -> Iterator[list[Frame]]:
    """The frames from ``start_s`` to ``end_s`` (seconds) in chunks of ``size``."""
    chunk: list[Frame] = []
    for frame in reader:
        if frame.time_s < start_s:
            continue
        if end_s is not None and frame.time_s > end_s:
            break
        chunk.append(frame)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _find_walker(source: Path, analyser: FrameAnalyser, options: VideoOptions,
                 progress: Progress | None) -> tuple[Walker | None, dict]:
    """``--person walker``: the clip looked through for who walks (``localise.walker``) and what
    the result's JSON says of it; None and a warning when nobody walked, and the rule ``auto``
    follows instead."""
    from poseapp.localise.walker import walker_search

    look = walker_search(analyser.localiser, analyser.engine)
    if look is None:
        return None, {"warning": "--person walker needs a person search (--roi track or auto); --roi full "
                                 "looks at the whole frame"}
    started = time.perf_counter()
    with VideoReader(source) as reader:
        frames = (f for chunk in _batches(reader, 1, options.start_s, options.end_s) for f in chunk)

        def looked(frame: Frame) -> None:
            if progress is not None:
                progress(f"{source.name}: looking for who walks", frame.index, reader.info.declared_frames,
                         frame.index / max(time.perf_counter() - started, 1e-9))

        look.frames(frames, looked)
    walker = look.walker()
    if walker is None:
        return None, {"walker": None, "frames_looked_at": len(look.seen), "forward_passes": look.passes, "warning": (
            f"nobody was seen walking across the view for {look.min_walk:g} s in the {len(look.seen)} frames "
            f"looked at (one every {look.step:g} s; on a treadmill, or with a camera that pans with the walker, "
            "nobody does): followed the rule --person auto instead")}
    return walker, walker.to_json()


def _before_walker(frame: Frame, variant: str) -> Pose:
    """A frame before the walker was first seen: nobody, and no model run (``HeldFrames`` holds
    the last few, and she is followed back through them from where she was first seen)."""
    pose = Pose(np.zeros((16, 3), np.float32), full_box(*frame.rgb.shape[:2]), variant, frame.time_s, found=False)
    pose.extra.update(forward_passes=0, localised="before the walker came into view")
    return pose


def smoothed(keypoints: np.ndarray, times: np.ndarray, options: VideoOptions,
             report: dict | None = None) -> np.ndarray | None:
    """(T, 16, 2) smoothed coordinates (None without smoothing); ``report`` receives what the
    smoothing did (see ``smooth_trajectory``)."""
    if options.smooth == "none":
        return None
    return smooth_trajectory(mask_low_scores(keypoints, options.threshold), times, options.smooth,
                             options.max_gap, options.cutoff_hz, options.min_cutoff_hz, options.beta, report)


def _measures(keypoints: np.ndarray, smooth_xy: np.ndarray | None, times: np.ndarray, options: VideoOptions,
              warnings: list[str]) -> tuple[Calibration | None, dict | None]:
    """The calibration and the gait analysis a video asked for; what fails becomes a warning (the
    pose results stay)."""
    from poseapp.gait import NoWalkError, analyse_gait, masked

    if not (options.gait or options.height_m or options.scale_line or options.calibration):
        return None, None
    raw = masked(keypoints, options.threshold)
    xy = smooth_xy if smooth_xy is not None else smooth_trajectory(raw, times, "butterworth", options.max_gap)
    cal = gait = None
    try:
        cal = calibrate(xy, times, options.height_m, options.scale_line, options.calibration)
    except PoseappError as exc:
        warnings.append(f"no metres: {exc}")
    if options.gait:
        try:
            gait = analyse_gait(raw, times, cal, None if cal else floor_angle(xy, times))
        except PoseappError as exc:
            hint = "" if "," in options.person or not isinstance(exc, NoWalkError) else (
                f" (the person followed by the rule --person {options.person} may not be the one walking: "
                "--person X,Y follows whoever is at that point of the first frame)")
            warnings.append(f"gait: {exc}{hint}")
            gait = {"error": str(exc)}
    return cal, gait


def smoothing_warning(report: dict) -> str | None:
    """A sentence when Butterworth left a share of the values raw (segments too short to filter)."""
    samples, raw = report.get("samples", 0), report.get("unfiltered", 0)
    if not raw:
        return None
    return (f"butterworth left {raw} of {samples} coordinate values unfiltered ({100 * raw / samples:.0f}%): "
            f"they lie in runs shorter than {report['shortest_filtered_segment']} frames")


def analyse_video(source: str | Path, out_dir: str | Path, options: VideoOptions,
                  progress: Progress | None = None, name: str | None = None) -> VideoResult:
    """Pose, angles and charts for one video, its outputs named ``name`` (default: the stem); never
    raises for a bad input file or an output that cannot be written (the result says why)."""
    from poseapp.draw import draw_people
    from poseapp.localise.choice import WALKER, check_point, parse_person
    from poseapp.localise.people import followed_id
    from poseapp.localise.track import HeldFrames

    source, out_dir = Path(source), Path(out_dir)
    name = name or source.stem
    paths = output_paths(name, out_dir)
    if paths["json"].exists() and not options.overwrite:
        return VideoResult(str(source), "skipped", f"{paths['json'].name} exists (use --overwrite)", name=name)
    analyser = FrameAnalyser(dataclasses.replace(options, smooth="none"))  # the batch smooths afterwards
    analyser.use(engine_for(options))  # before the file is opened: a model that cannot load leaks no reader
    engine = analyser.engine
    try:
        reader = VideoReader(source)
    except PoseappError as exc:
        return VideoResult(str(source), "failed", str(exc), name=name)
    info = reader.info
    writer: VideoWriter | None = None
    indices, times, keypoints, found, counts = [], [], [], [], {"passes": 0, "tracked": 0}
    warnings: list[str] = []
    start = time.perf_counter()
    try:
        person = parse_person(options.person, video=True)
        check_point(person, info.height, info.width)
        walker, walk_note, following = None, None, False
        if person == WALKER:
            walker, walk_note = _find_walker(source, analyser, options, progress)
            warnings += [walk_note["warning"]] if "warning" in walk_note else []
        analyser.follow("auto" if person == WALKER else person)
        paths["json"].parent.mkdir(parents=True, exist_ok=True)
        if options.annotate:
            writer = VideoWriter(paths["video"], info.fps, info.width, info.height)
        batch = options.batch_size if options.roi == "full" else 1
        held = HeldFrames(analyser.localiser, engine) if batch == 1 else None
        everyone = analyser.everyone
        crowd: dict[int, dict[int, Pose]] = {}  # frame index -> the people in it by id, until kept
        crowd_rows: list[tuple] = []

        def keep(frame: Frame, pose: Pose) -> None:
            indices.append(frame.index)
            times.append(frame.time_s)
            keypoints.append(pose.keypoints)
            found.append(pose.found)
            counts["passes"] += pose.extra.get("forward_passes", engine.passes)
            counts["tracked"] += bool(pose.extra.get("tracked"))
            people = crowd.pop(frame.index, {})
            chosen = followed_id(pose, people, options.threshold) if people else None  # after ``held``
            crowd_rows.extend((frame.index, frame.time_s, i, i == chosen, p.keypoints) for i, p in people.items())
            if writer is not None:
                writer.write(draw_people(frame.rgb, pose, people, chosen, options.threshold, legend=True))

        for frames in _batches(reader, batch, options.start_s, options.end_s):
            given: list[Pose | None] = [None] * len(frames)
            if batch > 1:
                given = engine.predict_batch([f.rgb for f in frames], [None] * len(frames))
            elif walker is not None and frames[0].index < walker.index:
                given = [_before_walker(frames[0], engine.model)]
            elif walker is not None:
                analyser.follow(walker.point if options.roi == "track" else walker.where(frames[0].time_s),
                                only=True, same=following)
                walker, following = (walker if options.roi == "auto" else None), True
            for frame, pose in zip(frames, given):
                result = analyser.analyse(frame, pose)
                crowd[frame.index] = result.people
                for ready in ([(frame, result.pose)] if held is None else held.add(frame, result.pose)):
                    keep(*ready)
            if progress is not None:
                progress(source.name, len(times), info.declared_frames, len(times) / (time.perf_counter() - start))
        for ready in ([] if held is None else held.flush()):
            keep(*ready)
        if not times:
            raise PoseappError(f"no frames between --start {options.start_s:g} s and the end of the clip"
                               if options.end_s is None else
                               f"no frames between --start {options.start_s:g} s and --end {options.end_s:g} s")
        if reader.lost:
            warnings.append(f"{reader.lost} damaged frames could not be decoded and were skipped "
                            "(frame times stay those of the file)")
        if reader.truncated:
            warnings.append(f"the file ends early: {reader.decoded + reader.lost} of the "
                            f"{info.declared_frames} frames it declares were read")
        if info.declared_fps > MAX_FPS:
            warnings.append(f"the file declares {info.declared_fps:g} frames per second, over the {MAX_FPS:g} "
                            "poseapp takes: 30 assumed for the exports' rate (frame times stay the file's)")
        elapsed = time.perf_counter() - start
        kp = np.array(keypoints, dtype=np.float64)
        kp[~np.array(found)] = np.nan
        t = np.array(times)
        smoothing: dict = {}
        smooth_xy = smoothed(kp, t, options, smoothing)
        warnings += [w for w in [smoothing_warning(smoothing)] if w]
        cal, gait = _measures(kp, smooth_xy, t, options, warnings)
        xy = positions(kp, smooth_xy, options.threshold)
        angles = angles_from_xy(xy, floor_deg=cal.floor_deg if cal else 0.0)
        angles.update({k: continuous(v) for k, v in angles.items() if k in SEGMENT_NAMES})
        metres = cal.to_metres(xy) if cal is not None else None
        fps = info.fps or ((len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 30.0)
        outs = OutputSet(out_dir, Session(name, fps, smooth_xy is not None, metres is not None),
                         parse_formats(options.formats, DEFAULT_FORMATS))
        try:
            for i in range(len(t)):
                outs.write(Row(indices[i], float(t[i]), found[i], keypoints[i],
                               None if smooth_xy is None else smooth_xy[i], None if metres is None else metres[i],
                               {k: float(v[i]) for k, v in angles.items()}))
            from poseapp.io.images import write_image
            from poseapp.plot import angle_chart, cycle_chart

            write_image(paths["png"], angle_chart(t, {k: angles[k] for k in JOINT_ANGLE_NAMES}))
            if writer is not None:
                writer.commit()
                writer = None
            written = [p.name for p in outs.paths if p.suffix != ".json"] + [paths["png"].name]
            written += [paths["video"].name] if options.annotate else []
            if everyone is not None:
                write_people_csv(paths["people"], crowd_rows)
                written.append(paths["people"].name)
            if gait is not None and "error" not in gait:
                write_json(paths["gait"], {**gait, "source": str(source.resolve())})
                write_image(paths["gait_png"], cycle_chart(gait["cycles"]))
                written += [paths["gait"].name, paths["gait_png"].name]
            rom = range_of_motion(angles, t)
            outputs = written + [paths["json"].name]
            meta = _metadata(source, info, engine, options, len(t), elapsed, counts["passes"], counts["tracked"],
                             sum(found), rom, outputs)
            meta["calibration"] = cal.to_json() if cal is not None else None
            if walk_note is not None:
                meta["walker"] = walk_note
            meta["gait"] = _gait_summary(gait)
            meta["smoothing"] = smoothing
            if everyone is not None:
                meta["people"] = people_summary(crowd_rows, everyone)
            meta["decoding"] = {"frames_lost": reader.lost, "truncated": reader.truncated}
            events = gait.get("events") if gait else None
            notice = events_left_out(events, [o.kind for o in outs.outputs])
            warnings += [notice] if notice else []
            meta["warnings"] = warnings
            outs.finish(meta, events)
        except BaseException:
            outs.discard()
            raise
        return VideoResult(str(source), "done", "", len(t), elapsed, outputs, rom, name, warnings,
                           meta["gait"] if gait is not None and "error" not in gait else None)
    except PoseappError as exc:
        _remove_outputs(paths)
        return VideoResult(str(source), "failed", str(exc), len(times), name=name)
    except OSError as exc:  # a full disk, a folder made read-only or removed during the run
        _remove_outputs(paths)
        where = f" {exc.filename}" if exc.filename else ""
        return VideoResult(str(source), "failed", f"cannot write{where}: {exc.strerror or exc}", len(times),
                           name=name)
    except BaseException:
        _remove_outputs(paths)
        raise
    finally:
        if writer is not None:
            writer.discard()
        reader.close()


def write_people_csv(path: Path, rows: list[tuple]) -> Path:
    """``<name>_people.csv``: a row per person per frame (frame, time_s, person, followed, score and
    the 16 joints' x, y, score, raw), written whole or not at all."""
    import csv

    from poseapp.io.atomic import replacing
    from poseapp.joints import JOINTS

    with replacing(path) as tmp, open(tmp, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["frame", "time_s", "person", "followed", "score"]
                     + [f"{j}_{c}" for j in JOINTS for c in ("x", "y", "score")])
        for frame, t, person, followed, kp in sorted(rows, key=lambda r: (r[0], r[2])):
            out.writerow([frame, f"{t:.6f}", person, int(followed), f"{float(kp[:, 2].mean()):.4f}"]
                         + [f"{v:.2f}" if c < 2 else f"{v:.4f}" for row in kp for c, v in enumerate(row)])
    return path


def people_summary(rows: list[tuple], tracker) -> dict:
    """What the result JSON says of ``--people all``: each id's frames, first and last, and the file's layout."""
    seen: dict[int, list[int]] = {}
    for frame, _, person, _, _ in rows:
        seen.setdefault(person, []).append(frame)
    return {"layout": "one row per person per frame in <name>_people.csv (column person); the chosen "
                      "person's files as with --people one",
            "detector_passes": tracker.detector.passes,
            "ids": {str(i): {"frames": len(f), "first_frame": min(f), "last_frame": max(f)}
                    for i, f in sorted(seen.items())}}


def _gait_summary(gait: dict | None) -> dict | None:
    """The headline gait figures for the result JSON (the whole analysis is in ``<name>_gait.json``)."""
    if gait is None or "error" in gait:
        return gait
    keys = ("cadence_steps_per_min", "speed_m_per_s", "unit", "step_time_s", "stride_time_s", "stance_pct",
            "double_support_pct", "symmetry_index_pct", f"step_length_{gait['unit']}",
            f"stride_length_{gait['unit']}")
    return {k: gait[k] for k in keys if k in gait} | {"events": len(gait["events"]), "steps": len(gait["steps"])}


def _remove_outputs(paths: dict[str, Path]) -> None:
    """A video that did not complete leaves none of its files, partial or finished in this run."""
    try:
        for p in paths.values():
            partial_path(p).unlink(missing_ok=True)
        if not paths["json"].exists():  # results of an earlier complete run stay
            for key in paths.keys() - {"json"}:
                paths[key].unlink(missing_ok=True)
    except OSError:  # a folder that became unwritable: nothing more can be done there
        pass


def _metadata(source: Path, info, engine, options: VideoOptions, frames: int, elapsed: float, passes: int,
              tracked: int, found: int, rom: dict, outputs: list[str]) -> dict:
    described = {"path": str(source.resolve()), "size_bytes": info.size_bytes, "width": info.width,
                 "height": info.height, "fps": info.fps, "declared_frames": info.declared_frames,
                 "rotation": info.rotation, "codec": info.codec}
    meta = result_metadata(described, options, [engine.model], frames, rom)
    meta.update({
        "duration_s": frames / info.fps if info.fps else None,
        "model": engine.model, "variant": engine.variant.name, "input_size": engine.size,
        "device": engine.backend.device, "backend": engine.backend.name,
        "processing": {"seconds": round(elapsed, 3), "fps": round(frames / elapsed, 2) if elapsed else None,
                       "forward_passes_per_frame": round(passes / max(frames, 1), 2),
                       "tracked_frames": tracked, "person_found_frames": found},
        "outputs": outputs,
    })
    return meta


def write_summary(results: list[VideoResult], out_dir: Path) -> Path:
    """``summary.csv``: one row per angle per completed video with its range of motion."""
    import csv

    from poseapp.io.atomic import replacing

    path = Path(out_dir) / "summary.csv"
    with replacing(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["video", "source", "angle", "min", "max", "mean", "range", "frames"])
        for r in results:
            rom = r.range_of_motion
            if not rom and r.status == "skipped":
                rom = _stored_rom(r.name or Path(r.source).stem, out_dir)
            for angle, s in rom.items():
                w.writerow([spreadsheet_safe(r.name or Path(r.source).stem), spreadsheet_safe(r.source), angle]
                           + ["" if s[k] is None else s[k] for k in ("min", "max", "mean", "range", "frames")])
    return path


def _stored_rom(name: str, out_dir: Path) -> dict:
    """A skipped video's range of motion from its earlier JSON, so the summary covers every video."""
    try:
        return json.loads(output_paths(name, out_dir)["json"].read_text())["range_of_motion"]
    except (OSError, ValueError, KeyError):
        return {}


def _worker_init(threads: int, parent: int) -> None:
    """A batch worker: its thread share, and an end of its own when the parent process is gone."""
    import threading

    os.environ.setdefault("OMP_NUM_THREADS", str(threads))

    def watch() -> None:  # a killed parent (kill -9) cannot stop its pool: the workers notice
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()


def run_batch(sources: list[Path], out_dir: Path, options: VideoOptions, workers: int = 1, executor: str = "local",
              progress: Progress | None = None, done: Callable[[VideoResult], None] | None = None
              ) -> list[VideoResult]:
    """Every source through ``analyse_video``: in this process, ``workers`` processes (the command
    line's default: ``auto_workers``), or on Ray.

    Each worker gets its own model and an equal share of the CPU threads unless ``options.threads``
    says otherwise. ``done`` hears of each video as it finishes (order of completion).
    """
    options.check()
    if executor not in EXECUTORS:
        raise PoseappError(f"unknown --executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise PoseappError(f"--out {out_dir} is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PoseappError(f"cannot make the output folder {out_dir}: {exc.strerror}") from exc
    with folder_lock(out_dir):
        results = _run(sources, out_dir, options, workers, executor, progress, done or (lambda r: None))
        try:
            write_summary(results, out_dir)
        except OSError as exc:
            raise PoseappError(f"cannot write {out_dir / 'summary.csv'}: {exc.strerror}; each video's own "
                               "files are complete") from exc
    return results


def auto_workers(videos: int, device: str = "auto") -> int:
    """Videos at once when ``--workers`` is not given: one per core on the CPU, as many as the
    videos and the free memory allow. Two one-thread ONNX Runtime sessions on two videos do more
    than one two-thread session (its threads wait on each other inside every small layer), and
    one video's decoding and writing overlap the other's inference (README: Batch throughput).
    One on a GPU, which the processes would share."""
    from poseapp.inference.backends import available_devices

    if device != "cpu" and available_devices()[0] != "cpu":
        return 1
    try:
        free_mb = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (ValueError, OSError, AttributeError):  # not POSIX: the cores decide
        free_mb = float("inf")
    return max(1, min(videos, os.cpu_count() or 1, int(free_mb // WORKER_MB)))


def _run(sources: list[Path], out_dir: Path, options: VideoOptions, workers: int, executor: str,
         progress: Progress | None, report: Callable[[VideoResult], None]) -> list[VideoResult]:
    names = output_names(sources)
    results: list[VideoResult] = []
    if executor == "ray":
        results = _run_ray(sources, out_dir, options, report, names)
    elif workers <= 1 or len(sources) <= 1:
        for s in sources:
            results.append(analyse_video(s, out_dir, options, progress, names[s]))
            report(results[-1])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        threads = options.threads or max(1, (os.cpu_count() or 1) // workers)
        opts = dataclasses.replace(options, threads=threads)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                                 initargs=(threads, os.getpid())) as pool:
            futures = {pool.submit(analyse_video, s, out_dir, opts, None, names[s]): s for s in sources}
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except Exception as exc:  # a worker that died (out of memory, a crashed decoder)
                    result = VideoResult(str(futures[fut]), "failed", f"worker failed: {exc!r}",
                                         name=names[futures[fut]])
                results.append(result)
                report(result)
    return results


def check_cluster(address: str | None, timeout_s: float = 5.0) -> None:
    """PoseappError, within ``timeout_s``, when a Ray cluster's ``host:port`` cannot be reached:
    Ray itself waits on an unreachable address for minutes, printing warnings. ``None`` and
    ``auto`` (a cluster on this machine, or a new local one) are Ray's to find."""
    import socket

    if address is None or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "localhost", int(port)), timeout=timeout_s).close()
    except (OSError, ValueError) as exc:
        raise PoseappError(f"cannot reach the Ray cluster at {address} (RAY_ADDRESS) within {timeout_s:g} s: "
                           f"{getattr(exc, 'strerror', None) or exc}") from None


def _run_ray(sources: list[Path], out_dir: Path, options: VideoOptions,
             report: Callable[[VideoResult], None], names: dict[Path, str]) -> list[VideoResult]:
    """The same ``analyse_video`` as Ray tasks; ``RAY_ADDRESS`` picks the cluster (none: a local one).

    ``out_dir`` must be a folder every node can write (a shared file system)."""
    try:
        import ray
    except ImportError as exc:
        raise PoseappError("--executor ray needs Ray: pip install 'poseapp[cluster]'") from exc
    started = not ray.is_initialized()
    if started:
        address = os.environ.get("RAY_ADDRESS") or None
        check_cluster(address)
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=options.threads or 1)(analyse_video)
        pending = {task.remote(str(s), str(out_dir), options, None, names[s]): s for s in sources}
        results = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                source = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # the task's node or process died
                    result = VideoResult(str(source), "failed", f"ray task failed: {exc!r}", name=names[source])
                results.append(result)
                report(result)
        return results
    finally:
        if started:
            ray.shutdown()
