"""The README's report picture: two pages of a report PDF side by side (default: the first and the gait page).

    poseapp video ../shared/data/sports2d-demo/demo.mp4 --out results/ --gait --height 1.65 --start 2 \\
        --person 1390,730
    poseapp report results/demo.json --out results/demo-report.pdf --subject "Demo walker" \\
        --session "2026-12-03, barefoot"
    python assets/report_pages.py results/demo-report.pdf assets/report-pages.png [--pages 1 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import pypdfium2

from poseapp.io.images import write_image


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pdf")
    p.add_argument("out")
    p.add_argument("--pages", type=int, nargs=2, default=(1, 3))
    p.add_argument("--scale", type=float, default=1.1, help="pixels per PDF point")
    args = p.parse_args()
    pdf = pypdfium2.PdfDocument(args.pdf)
    pages = [pdf[n - 1].render(scale=args.scale, rev_byteorder=True).to_numpy()[..., :3] for n in args.pages]
    gap = np.full((pages[0].shape[0], 16, 3), 170, np.uint8)
    write_image(args.out, np.concatenate([pages[0], gap, pages[1]], axis=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
