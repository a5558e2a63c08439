"""A small MNIST classifier in plain TensorFlow ops, for measuring samples.

The network (all 3x3 convolutions 'SAME', all pools 2x2 max):

  image (N, 28, 28, 1) in [-1, 1]
  -> conv 32, ReLU -> pool -> (N, 14, 14, 32)
  -> conv 64, ReLU -> pool -> (N, 7, 7, 64) -> flatten (N, 3136)
  -> dense 128, ReLU       -> the features (N, 128), used for FID and k-NN
  -> dense 10              -> logits; softmax gives the class probabilities

It is written with tf.nn ops and a dict of numpy weights, not Keras layers or
model files, so a TensorFlow or Keras upgrade cannot change how the stored
weights are read. ``scripts/shipped/train_classifier.py`` trains it and writes
``classifier_weights.npz`` beside this file.

TensorFlow is imported only when the network is built, so checking images
(``to_model_input``) costs nothing. Inference runs in a private ``tf.Graph``
and Session. That works whether the
calling process runs eagerly, has eager execution switched off, or is inside
another graph's ``as_default()`` block (as the GAN's TF1-style code is), and
never adds ops to the caller's graph.
"""

import os

import numpy as np

from ..errors import UsageError

DEFAULT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "classifier_weights.npz")
FEATURE_SIZE = 128
NUM_CLASSES = 10

# Every weight's name and shape; the stored file must hold exactly these.
SHAPES = {
    "conv1_w": (3, 3, 1, 32), "conv1_b": (32,),
    "conv2_w": (3, 3, 32, 64), "conv2_b": (64,),
    "fc1_w": (7 * 7 * 64, FEATURE_SIZE), "fc1_b": (FEATURE_SIZE,),
    "fc2_w": (FEATURE_SIZE, NUM_CLASSES), "fc2_b": (NUM_CLASSES,),
}

HOW_TO_TRAIN = "run 'python scripts/shipped/train_classifier.py' to make it"


def features(x, w):
    """The penultimate layer.

    Args:
      x: float32 tensor (N, 28, 28, 1), pixels in [-1, 1] (-1 is background).
      w: dict name -> tensor or variable, shapes as in ``SHAPES``.
    Returns:
      float32 tensor (N, 128), values >= 0 (after ReLU).
    """
    from .._tf import tf
    h = tf.nn.relu(tf.nn.conv2d(x, w["conv1_w"], 1, "SAME") + w["conv1_b"])
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.relu(tf.nn.conv2d(h, w["conv2_w"], 1, "SAME") + w["conv2_b"])
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    return tf.nn.relu(tf.matmul(h, w["fc1_w"]) + w["fc1_b"])


def logits(feat, w):
    """Class logits (N, 10) from the features (N, 128) of ``features``."""
    from .._tf import tf
    return tf.matmul(feat, w["fc2_w"]) + w["fc2_b"]


def to_model_input(images):
    """Scale images to the network's input: float32 (N, 28, 28, 1) in [-1, 1].

    Args:
      images: uint8 (N, 28, 28) or (N, 784), 0..255, scaled by x / 127.5 - 1
        (0 -> -1, 255 -> 1, as the GAN scales its training data); or floats
        in [-1, 1] of the same shapes (the generator's tanh output), used as
        they are.
    Raises ValueError naming the shape, dtype or range that is wrong.
    """
    images = check_input(images)
    if images.dtype == np.uint8:
        x = images.astype(np.float32) / 127.5 - 1.0
    else:
        x = images.astype(np.float32)
    return x[..., None]


def check_input(images):
    """``images`` as (N, 28, 28), once their shape, dtype and range are
    known to suit ``to_model_input``, which converts them; ValueError
    names what is wrong. No copy is made."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 28 * 28:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images of shape {images.shape}; expected "
                         "(N, 28, 28) or (N, 784)")
    if np.issubdtype(images.dtype, np.floating):
        # In the images' own precision: 1e300 is finite, though not as float32.
        if not np.isfinite(images).all():
            raise ValueError("float images hold NaN or infinite values")
        if images.size and not (images.min() >= -1.0 and images.max() <= 1.0):
            raise ValueError(f"float images must lie in [-1, 1]; these span "
                             f"[{images.min():.4g}, {images.max():.4g}]")
    elif images.dtype != np.uint8:
        raise ValueError(f"images of dtype {images.dtype}; expected uint8 "
                         "(0..255) or float in [-1, 1]")
    return images


def load_weights(path=None):
    """Read the classifier's weights.

    Args:
      path: an .npz written by ``scripts/shipped/train_classifier.py``; None reads
        ``classifier_weights.npz`` beside this module.
    Returns:
      dict name -> float32 numpy array, shapes as in ``SHAPES``.
    Raises UsageError when the file is missing, unreadable, or lacks a
    weight or has one of the wrong shape.
    """
    path = DEFAULT_PATH if path is None else path
    try:
        with np.load(path, allow_pickle=False) as z:
            stored = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise UsageError(f"{path}: classifier weights not found; "
                         f"{HOW_TO_TRAIN}") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: unreadable classifier weights ({e}); "
                         f"{HOW_TO_TRAIN}") from None
    for name, shape in SHAPES.items():
        if name not in stored or stored[name].shape != shape:
            got = stored[name].shape if name in stored else "missing"
            raise UsageError(f"{path}: weight {name} is {got}, expected "
                             f"{shape}; {HOW_TO_TRAIN}")
    return {name: stored[name].astype(np.float32) for name in SHAPES}


class _Runner:
    """The network with fixed weights in a private graph and Session."""

    def __init__(self, weights):
        from .._tf import session, tf, v1
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = v1.placeholder(tf.float32, [None, 28, 28, 1])
            w = {k: tf.constant(v) for k, v in weights.items()}
            self.feat = features(self.x, w)
            self.probs = tf.nn.softmax(logits(self.feat, w))
        self.session = session(self.graph)

    def run(self, x):
        return self.session.run([self.feat, self.probs], {self.x: x})

    def close(self):
        self.session.close()


_default_runner = None  # built on first use with the stored weights


def features_and_probs(images, weights=None, batch_size=500, tick=None):
    """Run the classifier on images.

    Args:
      images: uint8 (N, 28, 28) or (N, 784) in 0..255, or floats in [-1, 1]
        of those shapes; see ``to_model_input`` for the scaling.
      weights: dict from ``load_weights``; None uses the stored weights (read
        once per process and kept, with their graph, for later calls).
      batch_size: images per Session call; bounds the memory used.
      tick: called with the number of images of each batch done (progress).
    Returns:
      (features, probs): float64 (N, 128), the penultimate layer (>= 0), and
      float64 (N, 10), softmax class probabilities (rows sum to 1).
    Raises ValueError on images of a wrong shape, dtype or range.
    """
    global _default_runner
    x = to_model_input(images)
    if weights is None:
        if _default_runner is None:
            _default_runner = _Runner(load_weights())
        runner = _default_runner
    else:
        runner = _Runner(weights)
    try:
        feats, probs = [], []
        for start in range(0, len(x), batch_size):
            f, p = runner.run(x[start:start + batch_size])
            feats.append(f)
            probs.append(p)
            if tick:
                tick(len(f))
    finally:
        if runner is not _default_runner:
            runner.close()
    if not feats:
        return np.zeros((0, FEATURE_SIZE)), np.zeros((0, NUM_CLASSES))
    return (np.concatenate(feats).astype(np.float64),
            np.concatenate(probs).astype(np.float64))
