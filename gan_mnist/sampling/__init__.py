"""Digits from a trained generator: G with fixed weights (``Generator``),
where its weights come from, and G outside this package (SavedModel,
TFLite)."""

from .generator import Generator  # noqa: F401
