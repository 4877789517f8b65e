"""poseapp: markerless movement analysis on the EfficientPose family."""

__version__ = "0.1.0"
