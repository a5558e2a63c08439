"""Scoring real images against the MNIST test set."""

import pytest
from conftest import DATA

from gan_mnist.data import load_mnist
from gan_mnist.measure import figures, scoring


@pytest.fixture(scope="module")
def train_2000():
    """Classifier outputs and labels of the first 2000 training images."""
    from gan_mnist.measure.classifier import features_and_probs
    images, labels = load_mnist(DATA, "train", limit=2000)
    return features_and_probs(images) + (labels,)


@pytest.mark.slow
def test_real_train_images_score_close_to_the_test_set(train_2000):
    feats, probs, _ = train_2000
    # The whole test set: its first and second halves come from different
    # writers, so a part of it alone would be a biased reference.
    ref = scoring.mnist_test_reference(DATA)
    out = figures.figures(feats, probs, ref)
    assert out["fid"] < 10.0  # real images of another sample: far below any GAN here
    assert out["mnist_score"] > 9.5
    assert out["class_kl"] < 0.01
    assert out["precision"] > 0.75 and out["recall"] > 0.6


@pytest.mark.slow
def test_fid_grows_when_digits_are_missing(train_2000):
    feats, _, labels = train_2000
    ref = scoring.mnist_test_reference(DATA)
    real = figures.fid_from_stats(*figures.feature_stats(feats), ref.mean,
                                  ref.cov)
    no_zeros = figures.fid_from_stats(
        *figures.feature_stats(feats[labels != 0]), ref.mean, ref.cov)
    only_ones = figures.fid_from_stats(
        *figures.feature_stats(feats[labels == 1]), ref.mean, ref.cov)
    assert real * 3 < no_zeros < only_ones
