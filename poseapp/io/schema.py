"""The JSON files poseapp reads back (a result, a gait file, a calibration), each checked whole
against its schema before any work: one line naming the file and the field when it is wrong.

A schema is built from a few checkers (``Num``, ``Int``, ``Str``, ``Bool``, ``Choice``, ``List``,
``Obj``, ``Map``, ``Opt``). ``Obj`` checks the fields it names and lets others pass: files of a
newer poseapp, or with keys a user added, still read. Limits: a JSON file of at most
``MAX_JSON_BYTES``, nested at most ``MAX_DEPTH`` deep, a regular file (not a pipe or a device).
"""

from __future__ import annotations

import json
import math
import stat
from collections.abc import Callable
from pathlib import Path

from poseapp.errors import PoseappError

MAX_JSON_BYTES = 64 * 2**20
MAX_DEPTH = 64
#: The highest frame rate poseapp keeps (a high-speed camera); above it a file's rate is refused.
MAX_FPS = 10_000.0
#: A pixel spanning more than a metre sees a walker as a few pixels: no gait can be measured.
MAX_METRES_PER_PIXEL = 1.0


class InvalidError(ValueError):
    """A value that does not fit its schema: ``where`` (a dotted field path) and what it should be."""

    def __init__(self, where: str, expected: str, value: object) -> None:
        shown = "nothing" if value is _MISSING else repr(value) if not isinstance(value, (dict, list)) else (
            "an object" if isinstance(value, dict) else "a list")
        super().__init__(f"{where or 'the file'} must be {expected}, not {shown[:60]}")


Checker = Callable[[object, str], None]


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def Num(low: float = -math.inf, high: float = math.inf, above: bool = False) -> Checker:  # noqa: N802
    """A finite number within [low, high] (``above``: greater than ``low``)."""
    def check(v: object, where: str) -> None:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if not ok or v > high or (v <= low if above else v < low):
            lo = f"more than {low:g}" if above else f"at least {low:g}"
            bounds = "" if low == -math.inf and high == math.inf else (
                f" {lo}" + ("" if high == math.inf else f" and at most {high:g}"))
            raise InvalidError(where, f"a finite number{bounds}", v)
    return check


def Int(low: int = 0, high: int = 2**53) -> Checker:  # noqa: N802
    """A whole number within [low, high]."""
    def check(v: object, where: str) -> None:
        if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
            raise InvalidError(where, f"a whole number from {low} to {high}", v)
    return check


def Str(longest: int = 10_000) -> Checker:  # noqa: N802
    def check(v: object, where: str) -> None:
        if not isinstance(v, str) or len(v) > longest:
            raise InvalidError(where, f"text of at most {longest} characters", v)
    return check


def Bool() -> Checker:  # noqa: N802
    def check(v: object, where: str) -> None:
        if not isinstance(v, bool):
            raise InvalidError(where, "true or false", v)
    return check


def Choice(*values: object) -> Checker:  # noqa: N802
    def check(v: object, where: str) -> None:
        if isinstance(v, bool) or v not in values:
            raise InvalidError(where, "one of " + ", ".join(map(repr, values)), v)
    return check


def List(item: Checker, length: int | None = None, most: int = 10_000_000) -> Checker:  # noqa: N802
    """A list of ``item``s (``length`` of them exactly, if given)."""
    def check(v: object, where: str) -> None:
        if not isinstance(v, list) or (length is not None and len(v) != length) or len(v) > most:
            raise InvalidError(where, "a list" + (f" of {length}" if length is not None else ""), v)
        for i, x in enumerate(v):
            item(x, f"{where}[{i}]")
    return check


def Obj(fields: dict[str, Checker]) -> Checker:  # noqa: N802
    """An object whose named fields are checked (missing ones must be allowed by ``Opt``)."""
    def check(v: object, where: str) -> None:
        if not isinstance(v, dict):
            raise InvalidError(where, "an object", v)
        for key, field in fields.items():
            field(v.get(key, _MISSING), _join(where, key))
    return check


def Map(value: Checker) -> Checker:  # noqa: N802
    """An object of any keys, each value checked."""
    def check(v: object, where: str) -> None:
        if not isinstance(v, dict):
            raise InvalidError(where, "an object", v)
        for key, x in v.items():
            value(x, _join(where, key))
    return check


def Opt(inner: Checker) -> Checker:  # noqa: N802
    """Missing, null, or ``inner``."""
    def check(v: object, where: str) -> None:
        if v is not _MISSING and v is not None:
            inner(v, where)
    return check


_MISSING = object()


def _required(inner: Checker) -> Checker:
    def check(v: object, where: str) -> None:
        if v is _MISSING:
            raise InvalidError(where, "present", v)
        inner(v, where)
    return check


def regular_file(path: Path, what: str, limit: int) -> int:
    """``path``'s size; PoseappError when it is missing, not a regular file (a pipe, a device such
    as /dev/zero, a folder: endless or not a file) or larger than ``limit`` bytes."""
    try:
        info = path.stat()
    except OSError as exc:
        raise PoseappError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise PoseappError(f"{path} is not a regular file (a pipe, a device or a folder): give {what}")
    if info.st_size > limit:
        raise PoseappError(f"{path} is {info.st_size / 2**20:.0f} MB: larger than {what} poseapp reads "
                           f"({limit / 2**20:.0f} MB)")
    return info.st_size


def _depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), before parsing it."""
    deepest = depth = 0
    inside = escaped = False
    for ch in text:
        if inside:
            escaped, inside = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            inside = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def read_json(path: str | Path, what: str, schema: Checker | None = None) -> object:
    """The JSON at ``path``, checked against ``schema``; a PoseappError naming the file and ``what``
    it should have been (or the field that is wrong) otherwise."""
    path = Path(path)
    regular_file(path, what, MAX_JSON_BYTES)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PoseappError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PoseappError(f"{path} is not {what} (not text: {exc.reason})") from exc
    if _depth(text) > MAX_DEPTH:
        raise PoseappError(f"{path} is not {what} (nested over {MAX_DEPTH} levels deep)")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise PoseappError(f"{path} is not {what} (not JSON: {exc})") from exc
    if schema is not None:
        validate(data, schema, path, what)
    return data


def validate(data: object, schema: Checker, path: str | Path, what: str) -> None:
    """PoseappError naming ``path``, ``what`` it should be and the field that is wrong, if any is."""
    try:
        schema(data, "")
    except InvalidError as exc:
        raise PoseappError(f"{path} is not {what}: {exc}") from None


def _no_constant(name: str) -> float:
    """JSON has no NaN or Infinity: a file that holds them was not written by poseapp."""
    raise ValueError(f"{name} is not a JSON number")


CALIBRATION = Obj({
    "kind": _required(Choice("poseapp-calibration")),
    "metres_per_pixel": _required(Num(0.0, MAX_METRES_PER_PIXEL, above=True)),
    "floor_deg": Opt(Num(-45.0, 45.0)),
    "method": _required(Str(100)),
    "height_m": Opt(Num(0.3, 2.5)),
    "line": Opt(List(Num(), 5)),
    "frames_used": Opt(Int()),
    "origin_px": Opt(List(Num(), 2)),
    "origin_up_m": Opt(Num(-10.0, 10.0)),
})

_STAT = Obj({"mean": Opt(Num()), "sd": Opt(Num(0.0)), "n": Opt(Int()), "few": Opt(Bool())})
_CURVE = Opt(Obj({"mean": _required(List(Num(), 101)), "sd": _required(List(Num(0.0), 101)), "n": Opt(Int())}))

GAIT = Obj({
    "unit": _required(Choice("m", "px")),
    "fps": Opt(Num(0.0, MAX_FPS, above=True)),
    "cadence_steps_per_min": Opt(Num(0.0, 1000.0)),
    "speed_m_per_s": Opt(Num(0.0, 100.0)),
    "sides": _required(Obj({"left": _required(Map(_STAT)), "right": _required(Map(_STAT))})),
    "symmetry_index_pct": _required(Map(Opt(Num()))),
    "events": _required(List(Obj({"frame": Opt(Int()), "time_s": _required(Num(0.0)),
                                  "side": _required(Choice("left", "right")), "kind": _required(Str(40))}))),
    "cycles": _required(Map(Map(_CURVE))),
    "method": Opt(Str()),
    "calibration": Opt(CALIBRATION),
})

_ROM = Obj({k: Opt(Num()) for k in ("min", "max", "mean", "range")} | {"frames": Opt(Int())})

RESULT = Obj({
    "poseapp": _required(Str(100)),
    "csv_schema": _required(Choice(1, 2)),
    "created": Opt(Str(100)),
    "frames": Opt(Int()),
    "models": Opt(List(Str(100))),
    "source": Opt(Obj({"fps": Opt(Num(0.0, MAX_FPS, above=True)), "path": Opt(Str()), "name": Opt(Str())})),
    "options": Opt(Obj({"threshold": Opt(Num(0.0, 1.0)), "flip": Opt(Bool()), "scales": Opt(List(Num(0.1, 10.0))),
                        "roi": Opt(Str(100)), "person": Opt(Str(100)), "smooth": Opt(Str(100))})),
    "range_of_motion": Opt(Map(_ROM)),
    "calibration": Opt(CALIBRATION),
    "weights": Opt(Map(Opt(Obj({})))),
    "walker": Opt(Obj({"first_time_s": Opt(Num()), "walked_s": Opt(Num()), "people_seen": Opt(List(Obj({})))})),
    "subject": Opt(Obj({k: Opt(Str()) for k in ("name", "session", "notes")})),
    "gait": Opt(Obj({})),
})
