"""``python -m poseapp``: the same entry point as the ``poseapp`` console script."""

import sys

from poseapp.cli import main

sys.exit(main())
