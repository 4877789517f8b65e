"""The session report: a PDF with as many pages as it should, its tables in its text (read by
pypdf), pages rendered to PNG (pypdfium2), the self-contained HTML, the before/after view, and
the messages for bad input."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pytest

from poseapp.gait import analyse_gait
from poseapp.io.atomic import write_json
from tests.outputs.test_formats import write_result
from tests.walker import walk


@pytest.fixture
def results(tmp_path):
    """Two results of the synthetic walk, the second with its gait file."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before, after = write_result(tmp_path / "a"), write_result(tmp_path / "b")
    w = walk(seconds=3.0, fps=30)
    write_json(after.with_name("clip_gait.json"), analyse_gait(w.xy, w.times))
    return before, after


def pdf_text(path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in reader.pages))  # ligatures
    return len(reader.pages), re.sub(r"\s+", " ", text)


def test_report_pdf_and_html(results, tmp_path, capsys):
    from poseapp.cli import main

    _, after = results
    out = tmp_path / "report.pdf"
    assert main(["report", str(after), "--out", str(out), "--subject", "P-017", "--session", "after surgery"]) == 0
    assert "(4 pages)" in capsys.readouterr().out
    pages, text = pdf_text(out)
    assert pages == 4  # summary, angles, gait, method
    for expected in ("P-017", "after surgery", "Range of motion", "left knee flexion", "0-135", "cadence",
                     "symmetry index", "Method", "What the figures can be trusted for"):
        assert expected in text, expected
    assert "source video is not where" in text  # no key frame for a result without its video
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "P-017" in html and 'src="angles"' not in html
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(out))
    page = np.asarray(doc[2].render(scale=0.5).to_pil())
    assert page.shape[0] > page.shape[1] and (page < 200).mean() > 0.01  # A4 upright, something drawn


def test_before_and_after(results, tmp_path):
    from poseapp.gui.report_pdf import write_report
    from poseapp.report import build_report

    before, after = results
    report = build_report(after, compare=before)
    assert "Before and after" in report.body and "orange" in report.body
    pages, _ = write_report(report, tmp_path / "compare.pdf")
    assert pdf_text(tmp_path / "compare.pdf")[0] == pages >= 4
    assert "Compared across" not in report.body and "this result" in report.body


def test_a_comparison_across_models_or_frame_rates_says_so(results):
    """Issue 36, item 13: a --compare of another model or frame rate is flagged above the table."""
    from poseapp.report import build_report

    before, after = results
    meta = json.loads(before.read_text())
    meta["models"], meta["source"]["fps"] = ["II"], 60.0
    write_json(before, meta)
    meta = json.loads(after.read_text())
    meta["models"] = ["RT"]
    write_json(after, meta)
    body = build_report(after, compare=before).body
    assert "Compared across models (II before, RT after)" in body
    assert "Compared across frame rates (60 fps before, 30 after)" in body


def test_report_bad_input(results, tmp_path, capsys):
    from poseapp.cli import main

    _, after = results
    assert main(["report", str(after), "--out", str(tmp_path / "r.txt")]) == 2
    assert "must end in .pdf" in capsys.readouterr().err
    assert main(["report", str(after), "--out", str(tmp_path / "missing" / "r.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err
    meta = json.loads(after.read_text())
    meta["csv_schema"] = 9
    after.write_text(json.dumps(meta))
    assert main(["report", str(after), "--out", str(tmp_path / "r.pdf")]) == 2
    assert "schema 9" in capsys.readouterr().err and not (tmp_path / "r.pdf").exists()
    after.with_suffix(".csv").unlink()
    meta["csv_schema"] = 2
    after.write_text(json.dumps(meta))
    assert main(["report", str(after), "--out", str(tmp_path / "r.pdf")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err
    assert not list(tmp_path.glob("r.*")) and not list(tmp_path.glob(".r.partial*"))


def test_the_method_says_whom_the_walker_rule_followed(results):
    """A result of ``--person walker`` says in the method table who was followed from when, or
    that nobody walked and the rule's person was followed."""
    from poseapp.report import build_report

    _, path = results
    meta = json.loads(path.read_text())
    found = {"first_frame": 45, "first_time_s": 1.5, "walked_s": 4.5, "people_seen": [{}, {}, {}]}
    for walker, said in ((found, "who walks, first seen at 1.5 s, walking 4.5 s (3 people seen)"),
                         ({"walker": None, "frames_looked_at": 2}, "nobody seen walking")):
        write_json(path, meta | {"options": {"roi": "track", "person": "walker"}, "walker": walker})
        assert said in build_report(path).html()


def test_markup_in_every_field_of_the_result_and_gait_files_is_escaped(results, tmp_path):
    """Issue 36, item 1: markup placed in the result's and the gait file's text fields reaches the
    HTML as text, never as markup; where a number belongs, the file is refused before any HTML
    (``io/schema.py``; ``tests/io/test_schema.py`` puts wrong values in every field)."""
    from poseapp.errors import PoseappError
    from poseapp.gui.report_pdf import write_report
    from poseapp.report import build_report

    _, path = results
    evil = "<script>alert(1)</script>"
    meta = json.loads(path.read_text())
    meta["subject"] = {"name": evil, "session": evil, "notes": evil}
    meta["source"] = {"path": evil, "name": evil}
    meta["created"] = evil
    meta["options"] = {"roi": evil, "person": evil, "smooth": evil}
    meta["models"] = [evil]
    meta["weights"] = {evil: {"upstream_file": evil, "git_blob": evil, "sha256": evil}}
    write_json(path, meta)
    gait_path = path.with_name("clip_gait.json")
    gait = json.loads(gait_path.read_text())
    gait["method"] = evil
    write_json(gait_path, gait)
    report = build_report(path)
    assert "<script>" not in report.html() and "&lt;script&gt;" in report.html()
    write_report(report, tmp_path / "evil.pdf")
    assert "<script>" not in (tmp_path / "evil.html").read_text()
    for stats in gait["sides"]["left"].values():
        stats.update(n=evil)
    write_json(gait_path, gait)
    with pytest.raises(PoseappError, match="sides.left.*n must be a whole number"):
        build_report(path)


def test_a_pdf_cut_short_replaces_nothing(results, tmp_path, monkeypatch):
    """Issue 36, item 2: Qt's PDF writer reports no write error, so a full disk left a cut PDF under
    the final name. The PDF is checked whole before it replaces the earlier report, and the HTML
    is not replaced either."""
    from poseapp.gui import report_pdf
    from poseapp.report import build_report

    _, path = results
    out = tmp_path / "report.pdf"
    report = build_report(path)
    report_pdf.write_report(report, out)
    good_pdf, good_html = out.read_bytes(), out.with_suffix(".html").read_bytes()
    printer = report_pdf._print

    def cut_short(report, doc, dest):  # what a full disk leaves: the file's first part
        pages = printer(report, doc, dest)
        dest.write_bytes(dest.read_bytes()[:len(good_pdf) // 3])
        return pages

    monkeypatch.setattr(report_pdf, "_print", cut_short)
    with pytest.raises(OSError, match="incomplete"):
        report_pdf.write_report(report, out)
    assert out.read_bytes() == good_pdf and out.with_suffix(".html").read_bytes() == good_html
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_the_report_shows_smoothed_angles_not_single_frame_spikes(tmp_path):
    """Issue 35, item 18: a one-frame jump of the wrist (elbow flexion 100+ degrees in a walk whose
    arm hangs) went into the range-of-motion table; the report now ranges the low-passed series
    and says so, while the CSV keeps the raw value."""
    from poseapp.angles import compute_angles
    from poseapp.joints import INDEX
    from poseapp.outputs import OutputSet, Row, Session
    from poseapp.report import build_report, load_session

    w = walk(seconds=3.0, fps=30)
    kp = w.keypoints()
    shoulder = kp[45, INDEX["left_shoulder"], :2]
    kp[45, INDEX["left_wrist"], :2] = shoulder + [8.0, 4.0]  # the forearm folded onto the upper arm for one frame
    angles = compute_angles(kp)
    assert np.nanmax(angles["left_elbow_flexion"]) > 100
    outs = OutputSet(tmp_path, Session("clip", 30.0), ("csv", "json"))
    for i, t in enumerate(w.times):
        outs.write(Row(i, float(t), True, kp[i], angles={k: float(v[i]) for k, v in angles.items()}))
    outs.finish({"poseapp": "test", "csv_schema": 2, "source": {"fps": 30.0}, "range_of_motion": {}})
    session = load_session(tmp_path / "clip.json")
    assert session.range_of_motion()["left_elbow_flexion"]["max"] < 60
    assert np.nanmax(session.records.column("left_elbow_flexion")) > 100  # the CSV keeps it
    assert "low-passed at 6 Hz" in build_report(tmp_path / "clip.json").body
