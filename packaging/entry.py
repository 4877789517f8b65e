"""The packaged app's entry point: the same command line (and window) as `poseapp`."""

import multiprocessing
import sys

from poseapp.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # `poseapp video --workers N` starts copies of this executable
    sys.exit(main())
