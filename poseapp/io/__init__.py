"""Image, video and annotation input/output."""
