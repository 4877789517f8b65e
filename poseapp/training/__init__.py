"""Training EfficientPose on MPII: data and augmentation, targets, schedules, the training loop."""
