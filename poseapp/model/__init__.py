"""EfficientPose in PyTorch: a variant table and one builder (imports torch; keep it lazy)."""
