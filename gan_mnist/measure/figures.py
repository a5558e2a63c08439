"""Sample-quality figures for MNIST images, in numpy only.

Every figure comes from the classifier of ``classifier.py``: its 128-d
penultimate features and its 10 class probabilities.

  fid          Frechet distance between Gaussians fitted to the features of
               the images and of the MNIST test set; 0 is a perfect match.
               On this classifier's scale (not Inception's): 10000 real
               training images give 1.84, 2000 give 5.84. It falls as N
               grows, so compare figures of equally many images.
  mnist_score  exp(E_x[KL(p(y|x) || p(y))]), the Inception-score formula with
               the MNIST classifier: 1 (one blurred class) .. 10 (confident
               and all ten digits equally often).
  class_kl     KL of the histogram of predicted digits from uniform, natural
               log: 0 (balanced) .. log 10 = 2.303 (a single digit).
  precision    share of the images that fall on the test set's feature
               manifold (k-NN balls, Kynkaanniemi et al. 2019): realism.
  recall       share of the test images that fall on the images' manifold:
               coverage of the variety of real digits.

``figures`` gives them all from the classifier's outputs; ``evaluation``
runs the classifier on images and compares them with the MNIST test set.
This module needs numpy alone.
"""

import collections

import numpy as np

NUM_CLASSES = 10
# The evaluation figures, in the order every table and plot shows them.
FIGURES = ("fid", "mnist_score", "class_kl", "precision", "recall")
# The MNIST score's two terms (score_terms), reported beside it.
TERMS = ("class_entropy", "sample_entropy")
K_NEAREST = 3        # the k of the k-NN manifolds (the paper's default)
CHUNK = 500          # rows per block of pairwise distances: 500 x 10000
                     # float64 distances take 40 MB
_EPS = 1e-12         # keeps log() finite where a probability is 0


def feature_stats(feat):
    """Mean (D,) and covariance (D, D) of features (N, D), N >= 2."""
    feat = np.asarray(feat, dtype=np.float64)
    if feat.ndim != 2 or len(feat) < 2:
        raise ValueError(f"features of shape {feat.shape}; need (N >= 2, D)")
    return feat.mean(axis=0), np.cov(feat, rowvar=False)


def _sqrt_psd(mat):
    """Square root of a symmetric positive semi-definite matrix, by eigh.

    Eigenvalues below 0 can only be rounding error here; they are set to 0.
    """
    vals, vecs = np.linalg.eigh((mat + mat.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def fid_from_stats(mu1, sigma1, mu2, sigma2):
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ||mu1 - mu2||^2 + tr(s1) + tr(s2) - 2 tr((s1^1/2 s2 s1^1/2)^1/2). The
    inner matrix is symmetric PSD, unlike s1 s2, so its trace square root is
    the sum of the square roots of its eigenvalues from eigh: no complex
    parts to discard, and sound when the covariances are singular.
    """
    s1_half = _sqrt_psd(sigma1)
    inner = s1_half @ sigma2 @ s1_half
    vals = np.linalg.eigvalsh((inner + inner.T) / 2)
    tr_covmean = np.sqrt(np.clip(vals, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2)
                 - 2 * tr_covmean)


def fid(feat_a, feat_b):
    """FID between two feature sets (N, D) and (M, D), N, M >= 2; >= 0."""
    return fid_from_stats(*feature_stats(feat_a), *feature_stats(feat_b))


def mnist_score(probs):
    """exp(mean_x KL(p(y|x) || p(y))) of class probabilities (N, 10).

    Returns a float in [1, 10]: 10 when each image is classified with
    certainty and the classes are equally frequent; 1 when every image has
    the same class distribution.
    """
    probs = np.asarray(probs, dtype=np.float64)
    p_y = probs.mean(axis=0, keepdims=True)
    kl = (probs * (np.log(probs + _EPS) - np.log(p_y + _EPS))).sum(axis=1)
    return float(np.exp(kl.mean()))


def score_terms(probs):
    """The MNIST score's two terms, in nats: (H(p(y)), mean_x H(p(y|x))).

    log(mnist_score) is the first minus the second. The first, 0..log 10,
    is class balance (log 10 = 2.303 when every digit is as frequent); the
    second, 0..log 10, is per-sample ambiguity (0 when every image is
    classified with certainty).
    """
    probs = np.asarray(probs, dtype=np.float64)
    p_y = probs.mean(axis=0)
    marginal = -(p_y * np.log(p_y + _EPS)).sum()
    per_sample = -(probs * np.log(probs + _EPS)).sum(axis=1).mean()
    return float(marginal), float(per_sample)


def class_histogram(probs):
    """How many images (N, 10) the classifier calls each digit: int (10,)."""
    return np.bincount(np.argmax(probs, axis=1), minlength=NUM_CLASSES)


def class_kl(hist):
    """KL(hist / sum || uniform) in nats, for a histogram (10,) of counts.

    0 for a balanced histogram, log 10 when one digit has every image.
    """
    p = np.asarray(hist, dtype=np.float64)
    p = p / p.sum()
    nz = p > 0  # 0 log 0 = 0
    return float((p[nz] * np.log(p[nz] * len(p))).sum())


def _sq_dists(a, b, b_sq):
    """Squared Euclidean distances (len(a), len(b)); ``b_sq`` = |b|^2."""
    d = (a * a).sum(axis=1)[:, None] + b_sq[None, :] - 2 * a @ b.T
    return np.maximum(d, 0)  # rounding can make a 0 distance slightly < 0


def knn_radii(feat, k=K_NEAREST, chunk=CHUNK, tick=None):
    """Squared distance from each row of ``feat`` (N, D) to its k-th nearest
    other row: (N,). The k-NN ball radii of the feature manifold; N > k.
    ``tick(n)``, if given, is called with the rows of each chunk done."""
    feat = np.asarray(feat, dtype=np.float64)
    if len(feat) <= k:
        raise ValueError(f"{len(feat)} feature rows; k-NN with k={k} "
                         f"needs at least {k + 1}")
    sq = (feat * feat).sum(axis=1)
    radii = np.empty(len(feat))
    for start in range(0, len(feat), chunk):
        d = _sq_dists(feat[start:start + chunk], feat, sq)
        # Index 0 of the sorted row is the point itself (distance 0).
        radii[start:start + chunk] = np.partition(d, k, axis=1)[:, k]
        if tick:
            tick(len(d))
    return radii


def manifold_coverage(query, ref, ref_radii, chunk=CHUNK, tick=None):
    """Share of ``query`` rows (N, D) inside at least one k-NN ball of
    ``ref`` (M, D) with squared radii ``ref_radii`` (M,): a float in [0, 1].
    ``tick(n)``, if given, is called with the rows of each chunk done."""
    query = np.asarray(query, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    ref_sq = (ref * ref).sum(axis=1)
    inside = 0
    for start in range(0, len(query), chunk):
        d = _sq_dists(query[start:start + chunk], ref, ref_sq)
        inside += int((d <= ref_radii[None, :]).any(axis=1).sum())
        if tick:
            tick(len(d))
    return inside / len(query)


def precision_recall(real_feat, fake_feat, k=K_NEAREST, real_radii=None, tick=None):
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Args:
      real_feat: (N, D) features of real images; N > k.
      fake_feat: (M, D) features of generated images; M > k.
      k: which nearest neighbour sets a ball's radius.
      real_radii: ``knn_radii(real_feat, k)`` if already known (it is the
        costly part for a fixed real set).
      tick: called with the rows done of each distance block (progress; the
        work is 2M + N rows, plus N when ``real_radii`` is None).
    Returns:
      (precision, recall), floats in [0, 1].
    """
    if real_radii is None:
        real_radii = knn_radii(real_feat, k, tick=tick)
    precision = manifold_coverage(fake_feat, real_feat, real_radii, tick=tick)
    recall = manifold_coverage(real_feat, fake_feat, knn_radii(fake_feat, k, tick=tick),
                               tick=tick)
    return precision, recall


Reference = collections.namedtuple(
    "Reference", "features mean cov radii k")
Reference.__doc__ = """What the figures compare images with: the real set's
features (N, 128), their mean (128,) and covariance (128, 128), and the
squared k-NN radii (N,) for that k."""


def make_reference(features, k=K_NEAREST, tick=None):
    """Build a ``Reference`` from real features (N, 128), N > k; ``tick`` as
    for ``knn_radii``."""
    mean, cov = feature_stats(features)
    return Reference(features, mean, cov, knn_radii(features, k, tick=tick), k)


def figures(feats, probs, ref, tick=None):
    """All figures of images with features (N, 128) and class probabilities
    (N, 10) against a ``Reference``.

    Returns a dict: fid (float >= 0), mnist_score (1..10), class_kl
    (0..log 10), precision and recall (0..1), the score's two terms
    class_entropy and sample_entropy (``score_terms``), class_histogram (10
    ints) and num_images. ``tick`` as for ``precision_recall`` (2N + M rows of work,
    for M reference rows).
    """
    hist = class_histogram(probs)
    precision, recall = precision_recall(ref.features, feats, ref.k,
                                         real_radii=ref.radii, tick=tick)
    class_entropy, sample_entropy = score_terms(probs)
    return {
        "fid": fid_from_stats(*feature_stats(feats), ref.mean, ref.cov),
        "mnist_score": mnist_score(probs),
        "class_kl": class_kl(hist),
        "precision": precision,
        "recall": recall,
        "class_entropy": class_entropy,
        "sample_entropy": sample_entropy,
        "class_histogram": [int(c) for c in hist],
        "num_images": int(len(feats)),
    }
