"""Upstream weights: the manifest, downloads, converters and the safetensors cache."""
