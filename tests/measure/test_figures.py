"""Known-answer tests of the numpy figures: FID, MNIST score, class KL, precision, recall."""

import math

import numpy as np
import pytest

from gan_mnist.measure import figures


def random_spd(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def sqrtm_spd(mat):
    vals, vecs = np.linalg.eigh(mat)
    return (vecs * np.sqrt(vals)) @ vecs.T


def test_fid_of_a_set_with_itself_is_zero():
    feat = np.random.default_rng(0).standard_normal((2000, 64)) * 3 + 1
    assert abs(figures.fid(feat, feat)) < 1e-6


def test_fid_of_rank_deficient_set_with_itself_is_zero():
    # Fewer samples than dimensions and dead ReLU units: a singular covariance.
    feat = np.maximum(np.random.default_rng(1).standard_normal((50, 128)), 0)
    feat[:, :20] = 0
    assert abs(figures.fid(feat, feat)) < 1e-6


def test_fid_from_stats_matches_closed_form_of_two_gaussians():
    rng = np.random.default_rng(2)
    d = 16
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    # Closed form: tr((s1^1/2 s2 s1^1/2)^1/2), computed independently of
    # the code under test from the SPD matrix square roots.
    r1 = sqrtm_spd(s1)
    expect = (np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2)
              - 2 * np.trace(sqrtm_spd(r1 @ s2 @ r1)))
    assert figures.fid_from_stats(mu1, s1, mu2, s2) == pytest.approx(expect,
                                                                      rel=1e-9)


def test_fid_of_diagonal_gaussians_matches_scalar_formula():
    # Diagonal covariances: FID = |mu1-mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    a = np.array([1.0, 4.0, 9.0])
    b = np.array([4.0, 1.0, 9.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    got = figures.fid_from_stats(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(5.0 + 1.0 + 1.0 + 0.0)


def test_fid_of_samples_approaches_closed_form():
    rng = np.random.default_rng(3)
    n = 200000
    a = rng.standard_normal((n, 2)) * [1.0, 2.0]
    b = rng.standard_normal((n, 2)) * [2.0, 2.0] + [3.0, 0.0]
    # 3^2 + (1-2)^2 + (2-2)^2 = 10
    assert figures.fid(a, b) == pytest.approx(10.0, rel=0.01)


def test_class_kl_one_digit_is_log10_and_uniform_is_zero():
    assert figures.class_kl([0, 0, 0, 500, 0, 0, 0, 0, 0, 0]) == \
        pytest.approx(math.log(10))
    assert figures.class_kl([100] * 10) == pytest.approx(0.0, abs=1e-12)
    # Two digits, half each: log 10 - log 2 = log 5.
    assert figures.class_kl([5, 5, 0, 0, 0, 0, 0, 0, 0, 0]) == \
        pytest.approx(math.log(5))


def test_class_histogram_counts_argmax():
    probs = np.eye(10)[[3, 3, 7, 0]] * 0.9 + 0.01
    np.testing.assert_array_equal(figures.class_histogram(probs),
                                  [1, 0, 0, 2, 0, 0, 0, 1, 0, 0])


def test_mnist_score_confident_uniform_classes_is_10():
    probs = np.eye(10)[np.arange(1000) % 10]
    assert figures.mnist_score(probs) == pytest.approx(10.0, rel=1e-6)


def test_mnist_score_constant_probs_is_1():
    row = np.random.default_rng(4).dirichlet(np.ones(10))
    assert figures.mnist_score(np.tile(row, (300, 1))) == pytest.approx(1.0)


def test_mnist_score_one_confident_class_is_1():
    assert figures.mnist_score(np.eye(10)[[2] * 100]) == pytest.approx(1.0)


def test_precision_recall_identical_sets_are_one():
    feat = np.random.default_rng(5).standard_normal((600, 8))
    assert figures.precision_recall(feat, feat, k=3) == (1.0, 1.0)


def test_precision_recall_far_apart_sets_are_zero():
    rng = np.random.default_rng(6)
    real = rng.standard_normal((400, 8))
    fake = rng.standard_normal((300, 8)) + 100.0
    assert figures.precision_recall(real, fake) == (0.0, 0.0)


def test_precision_recall_collapsed_fakes_have_precision_not_recall():
    # All fakes near one real point: realistic but without variety.
    rng = np.random.default_rng(7)
    real = rng.standard_normal((1000, 4))
    fake = real[0] + 1e-3 * rng.standard_normal((200, 4))
    precision, recall = figures.precision_recall(real, fake)
    assert precision == 1.0
    assert recall < 0.05


def test_knn_radii_chunked_equals_brute_force():
    rng = np.random.default_rng(8)
    feat = rng.standard_normal((230, 5))
    d = ((feat[:, None, :] - feat[None, :, :]) ** 2).sum(-1)
    expect = np.sort(d, axis=1)[:, 3]
    got = figures.knn_radii(feat, k=3, chunk=64)
    np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-9)


def test_knn_radii_needs_more_than_k_rows():
    with pytest.raises(ValueError, match="at least 4"):
        figures.knn_radii(np.zeros((3, 2)), k=3)


def test_figures_give_all_keys_and_json_types():
    rng = np.random.default_rng(9)
    ref = figures.make_reference(rng.standard_normal((300, 6)))
    probs = rng.dirichlet(np.ones(10), size=200)
    out = figures.figures(rng.standard_normal((200, 6)), probs, ref)
    assert set(out) == {"fid", "mnist_score", "class_kl", "precision", "recall",
                        "class_entropy", "sample_entropy", "class_histogram",
                        "num_images"}
    assert all(type(v) is float for k, v in out.items()
               if k not in ("class_histogram", "num_images"))
    assert [type(c) for c in out["class_histogram"]] == [int] * 10
    assert sum(out["class_histogram"]) == out["num_images"] == 200


def test_the_scores_two_terms_are_balance_and_ambiguity():
    confident = np.eye(10)[np.arange(1000) % 10]
    balance, ambiguity = figures.score_terms(confident)
    assert balance == pytest.approx(math.log(10)) and ambiguity == pytest.approx(0, abs=1e-9)
    blurred = np.full((50, 10), 0.1)
    assert figures.score_terms(blurred) == pytest.approx((math.log(10), math.log(10)))
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(10, 0.3), 500)
    balance, ambiguity = figures.score_terms(probs)
    assert math.exp(balance - ambiguity) == pytest.approx(figures.mnist_score(probs), rel=1e-6)
