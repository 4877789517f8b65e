"""A report (``poseapp.report``) printed to an A4 PDF by Qt's own text engine (QTextDocument and
QPdfWriter: fonts embedded, no other dependency); works without a display (offscreen)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QApplication

from poseapp.io.atomic import replacing
from poseapp.report import Report


def ensure_app() -> QGuiApplication:
    """The running Qt application, or a new one (offscreen where there is no display): a widgets
    application, so that a window can still be made in the same process after a report."""
    app = QGuiApplication.instance()
    if app is None:
        headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                            or os.environ.get("WAYLAND_DISPLAY"))
        if headless:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app


def document(report: Report) -> QTextDocument:
    """The report as a text document with its images as resources."""
    ensure_app()
    doc = QTextDocument()
    for name, rgb in report.images.items():
        h, w = rgb.shape[:2]
        image = QImage(rgb.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(report.html())
    return doc


def _print(report: Report, doc: QTextDocument, dest: Path) -> int:
    """Print ``doc`` onto A4 pages at ``dest``; returns the page count."""
    writer = QPdfWriter(str(dest))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(96)
    writer.setTitle(report.title)
    writer.setCreator("poseapp")
    doc.setPageSize(QSizeF(writer.width(), writer.height()))  # lay out on the A4 page to count pages
    doc.print_(writer)
    pages = doc.pageCount()
    del writer  # closes the file
    return pages


def check_whole_pdf(path: Path, final: Path) -> None:
    """OSError unless ``path`` is a whole PDF: its header, and its trailer's ``startxref`` and
    ``%%EOF`` at the end. Qt's writer reports no write error (a full disk leaves a cut file)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(5)
            f.seek(max(0, size - 2048))
            tail = f.read()
    except OSError as exc:
        raise OSError(f"Qt could not write the PDF {final}: {exc.strerror or exc}") from exc
    if head != b"%PDF-" or b"startxref" not in tail or b"%%EOF" not in tail:
        raise OSError(f"the PDF {final} came out incomplete ({size} bytes; is the disk full?): nothing replaced")


def write_report(report: Report, pdf: str | Path) -> tuple[int, Path]:
    """The report's PDF at ``pdf`` and its HTML beside it, both or neither: each is written whole
    under a partial name and checked (the PDF read back as a whole file) before either replaces an
    earlier report. Returns the PDF's page count and the HTML's path."""
    pdf = Path(pdf)
    page = pdf.with_suffix(".html")
    doc = document(report)
    with replacing(page) as html_tmp, replacing(pdf) as pdf_tmp:
        html_tmp.write_text(report.html(embedded=True), encoding="utf-8")
        pages = _print(report, doc, pdf_tmp)
        check_whole_pdf(pdf_tmp, pdf)
    return pages, page
