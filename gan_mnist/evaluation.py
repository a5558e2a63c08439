"""Measuring images: the classifier's view of them against the MNIST test set.

``evaluate_array`` runs the classifier (``classifier.py``) on a set of
images and returns the figures of ``metrics.py`` against the 10000 MNIST
test images; ``real_floor`` gives the same figures for real training
images, the best a generator can be expected to reach with that many.
The test set's reference (features, their statistics and k-NN radii) is
computed once per process and data folder.
"""

import os

import numpy as np

from . import metrics
from .errors import UsageError

MIN_IMAGES = metrics.K_NEAREST + 1   # the k-NN balls need k other images
FLOOR_SIZE = 10000   # real training images behind the real-data floor

_test_references = {}  # absolute data_dir -> metrics.Reference


def mnist_test_reference(data_dir):
    """The ``metrics.Reference`` of the 10000 MNIST test images in
    ``data_dir``, computed on first use and kept for the process.
    Raises DataError (a UsageError) when the test files are missing."""
    from .classifier import features_and_probs
    from .data import load_mnist
    key = os.path.abspath(data_dir)
    if key not in _test_references:
        images, _ = load_mnist(data_dir, "test")
        feats, _ = features_and_probs(images)
        _test_references[key] = metrics.make_reference(feats)
    return _test_references[key]


def evaluate_array(images, data_dir="MNIST_data", num=None, source=None):
    """Figures of the first ``num`` of ``images`` against the MNIST test set.

    Args:
      images: uint8 (N, 28, 28) or (N, 784) in 0..255, or floats in [-1, 1]
        of those shapes.
      data_dir: folder with the MNIST IDX files.
      num: at most this many images are used, the first ones; None: all.
      source: where the images came from (a flag and file), to begin error
        messages with; None: no prefix.
    Returns:
      the dict of ``metrics.figures``.
    Raises UsageError on images of a wrong shape, dtype or range, fewer than
    MIN_IMAGES of them, or missing MNIST files.
    """
    from .classifier import features_and_probs
    from .data import find_file
    prefix = f"{source}: " if source else ""
    for kind in ("images", "labels"):  # before any work: the test set is there
        find_file(data_dir, "test", kind)
    if np.ndim(images) == 0:
        raise UsageError(f"{prefix}a single value, not an array of images")
    images = images[:num]
    if len(images) < MIN_IMAGES:
        raise UsageError(f"{prefix}{len(images)} images; at least "
                         f"{MIN_IMAGES} are needed")
    try:
        # The images first: bad ones fail before the test set is processed.
        feats, probs = features_and_probs(images)
    except ValueError as e:
        raise UsageError(f"{prefix}{e}") from None
    return metrics.figures(feats, probs, mnist_test_reference(data_dir))


def real_floor(data_dir="MNIST_data", num=FLOOR_SIZE):
    """The figures of the first ``num`` MNIST training images (file order)
    against the test set: what real data scores, for scale. Same dict as
    ``evaluate_array``."""
    from .data import load_mnist
    images, _ = load_mnist(data_dir, "train", limit=num)
    return evaluate_array(images, data_dir)
