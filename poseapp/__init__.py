"""poseapp: markerless movement analysis on the EfficientPose family."""

import os

__version__ = "0.1.0"

#: The largest image or video frame poseapp decodes, in pixels (100 megapixels). OpenCV checks an
#: image file's header against it before decoding, so a small file that declares a huge picture
#: (a decompression bomb) is refused without the memory; set here, before OpenCV's first read.
MAX_PIXELS = 100_000_000
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
