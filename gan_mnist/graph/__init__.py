"""The TensorFlow graph: networks, losses, the optimiser, the training step,
and the tutorial's own graph to compare with."""
