"""Measuring images: the classifier's view of them against the MNIST test set.

``score_images`` runs the classifier (``classifier.py``) on a set of
images and returns the figures of ``figures.py`` against the 10000 MNIST
test images; ``real_floor`` gives the same figures for real training
images, the best a generator can be expected to reach with that many.
The test set's reference (features, their statistics and k-NN radii) is
computed once per process and data folder.
"""

import os

import numpy as np

from ..data import check_split, load_mnist, locate
from ..errors import UsageError
from ..meter import SILENT
from . import figures

MIN_IMAGES = figures.K_NEAREST + 1   # the k-NN balls need k other images
FLOOR_SIZE = 10000   # real training images behind the real-data floor

_test_references = {}  # absolute data_dir -> figures.Reference


def mnist_test_reference(data_dir=None, meter=SILENT):
    """The ``figures.Reference`` of the 10000 MNIST test images in
    ``data_dir`` (None: see ``data.locate``), computed on first use and kept
    for the process. Raises DataError (a UsageError) when the test files are
    missing."""
    from .classifier import features_and_probs
    data_dir = locate(data_dir)[0]
    key = os.path.abspath(data_dir)
    if key not in _test_references:
        images, _ = load_mnist(data_dir, "test")
        with meter.task("classifying the MNIST test set", len(images)) as tick:
            feats, _ = features_and_probs(images, tick=tick)
        with meter.task("nearest neighbours in the test set", len(feats)) as tick:
            _test_references[key] = figures.make_reference(feats, tick=tick)
    return _test_references[key]


def check_images(images, num=None, source=None):
    """The first ``num`` of ``images`` once they are known to be usable: an
    array of at least MIN_IMAGES images of a shape, dtype and range the
    classifier takes; else UsageError, its line starting with ``source``."""
    from .classifier import check_input
    prefix = f"{source}: " if source else ""
    if np.ndim(images) == 0:
        raise UsageError(f"{prefix}a single value, not an array of images")
    images = images[:num]
    if len(images) < MIN_IMAGES:
        raise UsageError(f"{prefix}{len(images)} images; at least "
                         f"{MIN_IMAGES} are needed")
    try:
        check_input(images)
    except ValueError as e:
        raise UsageError(f"{prefix}{e}") from None
    return images


def score_images(images, data_dir=None, num=None, source=None, meter=SILENT,
                 label="images"):
    """Figures of the first ``num`` of ``images`` against the MNIST test set.

    Args:
      images: uint8 (N, 28, 28) or (N, 784) in 0..255, or floats in [-1, 1]
        of those shapes.
      data_dir: folder with the MNIST IDX files; None: see ``data.locate``.
      num: at most this many images are used, the first ones; None: all.
      source: where the images came from (a flag and file), to begin error
        messages with; None: no prefix.
      meter: a ``meter.Meter`` that shows each stage's progress; ``label``
        names the images in its lines.
    Returns:
      the dict of ``figures.figures``.
    Raises UsageError on images of a wrong shape, dtype or range, fewer than
    MIN_IMAGES of them, or missing MNIST files.
    """
    from .classifier import features_and_probs
    data_dir = locate(data_dir)[0]
    check_split(data_dir, "test")  # before any work: the test set is there
    images = check_images(images, num, source)
    with meter.task(f"classifying {len(images)} {label}", len(images)) as tick:
        feats, probs = features_and_probs(images, tick=tick)
    ref = mnist_test_reference(data_dir, meter)
    with meter.task(f"figures of the {label}", 2 * len(feats) + len(ref.features)) as tick:
        return figures.figures(feats, probs, ref, tick=tick)


def real_floor(data_dir=None, num=FLOOR_SIZE, meter=SILENT):
    """The figures of the first ``num`` MNIST training images (file order)
    against the test set: what real data scores, for scale. Same dict as
    ``score_images``."""
    data_dir = locate(data_dir)[0]
    images, _ = load_mnist(data_dir, "train", limit=num)
    return score_images(images, data_dir, meter=meter, label="real training images")


# The label and format of each figure's row in the table.
_ROWS = dict(zip(figures.FIGURES[:2] + figures.TERMS + figures.FIGURES[2:], (
    ("FID (lower is better)", "{:.3f}"),
    ("MNIST score (1..10)", "{:.3f}"),
    ("  class balance H(y)", "{:.4f}"),
    ("  ambiguity E H(y|x)", "{:.4f}"),
    ("class KL (0..2.303)", "{:.4f}"),
    ("precision (0..1)", "{:.3f}"),
    ("recall (0..1)", "{:.3f}"),
)))


def format_table(results, floor=None):
    """A readable table of ``results`` (and ``floor``, a dict of the same
    keys, as a second column), one metric a line, then the digit counts."""
    title = f"{results['num_images']} images against the MNIST test set"
    head = f"{'':24}{'images':>12}"
    if floor is not None:
        title += f" (real floor: {floor['num_images']} training images)"
        head += f"{'real floor':>12}"
    lines = [title, head]
    for key, (label, fmt) in _ROWS.items():
        if key not in results:  # figures saved before the score's terms were
            continue
        line = f"{label:24}{fmt.format(results[key]):>12}"
        if floor is not None:
            line += f"{fmt.format(floor[key]):>12}"
        lines.append(line)
    lines.append("digit counts    " + "".join(f"{d:>6}" for d in range(10)))
    lines.append("  images        " +
                 "".join(f"{c:>6}" for c in results["class_histogram"]))
    if floor is not None:
        lines.append("  real floor    " +
                     "".join(f"{c:>6}" for c in floor["class_histogram"]))
    return "\n".join(lines)
