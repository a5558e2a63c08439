"""Known-answer tests of the numpy figures in gan_mnist.metrics."""

import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from gan_mnist import evaluate, evaluation, metrics
from gan_mnist.data import load_mnist

# FID of the first 2000 training images against the test set stays below
# this; the stored classifier gives 5.84 (and 1.84 for 10000 images).
REAL_FID_MAX = 10.0


def random_spd(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def sqrtm_spd(mat):
    vals, vecs = np.linalg.eigh(mat)
    return (vecs * np.sqrt(vals)) @ vecs.T


def test_fid_of_a_set_with_itself_is_zero():
    feat = np.random.default_rng(0).standard_normal((2000, 64)) * 3 + 1
    assert abs(metrics.fid(feat, feat)) < 1e-6


def test_fid_of_rank_deficient_set_with_itself_is_zero():
    # Fewer samples than dimensions and dead ReLU units: a singular covariance.
    feat = np.maximum(np.random.default_rng(1).standard_normal((50, 128)), 0)
    feat[:, :20] = 0
    assert abs(metrics.fid(feat, feat)) < 1e-6


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
    assert metrics.fid_from_stats(mu1, s1, mu2, s2) == pytest.approx(expect,
                                                                      rel=1e-9)


def test_fid_of_diagonal_gaussians_matches_scalar_formula():
    # Diagonal covariances: FID = |mu1-mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    a = np.array([1.0, 4.0, 9.0])
    b = np.array([4.0, 1.0, 9.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    got = metrics.fid_from_stats(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(5.0 + 1.0 + 1.0 + 0.0)


def test_fid_of_samples_approaches_closed_form():
    rng = np.random.default_rng(3)
    n = 200000
    a = rng.standard_normal((n, 2)) * [1.0, 2.0]
    b = rng.standard_normal((n, 2)) * [2.0, 2.0] + [3.0, 0.0]
    # 3^2 + (1-2)^2 + (2-2)^2 = 10
    assert metrics.fid(a, b) == pytest.approx(10.0, rel=0.01)


def test_class_kl_one_digit_is_log10_and_uniform_is_zero():
    assert metrics.class_kl([0, 0, 0, 500, 0, 0, 0, 0, 0, 0]) == \
        pytest.approx(math.log(10))
    assert metrics.class_kl([100] * 10) == pytest.approx(0.0, abs=1e-12)
    # Two digits, half each: log 10 - log 2 = log 5.
    assert metrics.class_kl([5, 5, 0, 0, 0, 0, 0, 0, 0, 0]) == \
        pytest.approx(math.log(5))


def test_class_histogram_counts_argmax():
    probs = np.eye(10)[[3, 3, 7, 0]] * 0.9 + 0.01
    np.testing.assert_array_equal(metrics.class_histogram(probs),
                                  [1, 0, 0, 2, 0, 0, 0, 1, 0, 0])


def test_mnist_score_confident_uniform_classes_is_10():
    probs = np.eye(10)[np.arange(1000) % 10]
    assert metrics.mnist_score(probs) == pytest.approx(10.0, rel=1e-6)


def test_mnist_score_constant_probs_is_1():
    row = np.random.default_rng(4).dirichlet(np.ones(10))
    assert metrics.mnist_score(np.tile(row, (300, 1))) == pytest.approx(1.0)


def test_mnist_score_one_confident_class_is_1():
    assert metrics.mnist_score(np.eye(10)[[2] * 100]) == pytest.approx(1.0)


def test_precision_recall_identical_sets_are_one():
    feat = np.random.default_rng(5).standard_normal((600, 8))
    assert metrics.precision_recall(feat, feat, k=3) == (1.0, 1.0)


def test_precision_recall_far_apart_sets_are_zero():
    rng = np.random.default_rng(6)
    real = rng.standard_normal((400, 8))
    fake = rng.standard_normal((300, 8)) + 100.0
    assert metrics.precision_recall(real, fake) == (0.0, 0.0)


def test_precision_recall_collapsed_fakes_have_precision_not_recall():
    # All fakes near one real point: realistic but without variety.
    rng = np.random.default_rng(7)
    real = rng.standard_normal((1000, 4))
    fake = real[0] + 1e-3 * rng.standard_normal((200, 4))
    precision, recall = metrics.precision_recall(real, fake)
    assert precision == 1.0
    assert recall < 0.05


def test_knn_radii_chunked_equals_brute_force():
    rng = np.random.default_rng(8)
    feat = rng.standard_normal((230, 5))
    d = ((feat[:, None, :] - feat[None, :, :]) ** 2).sum(-1)
    expect = np.sort(d, axis=1)[:, 3]
    got = metrics.knn_radii(feat, k=3, chunk=64)
    np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-9)


def test_knn_radii_needs_more_than_k_rows():
    with pytest.raises(ValueError, match="at least 4"):
        metrics.knn_radii(np.zeros((3, 2)), k=3)


def test_figures_give_all_keys_and_json_types():
    rng = np.random.default_rng(9)
    ref = metrics.make_reference(rng.standard_normal((300, 6)))
    probs = rng.dirichlet(np.ones(10), size=200)
    out = metrics.figures(rng.standard_normal((200, 6)), probs, ref)
    assert set(out) == {"fid", "mnist_score", "class_kl", "precision",
                        "recall", "class_histogram", "num_images"}
    assert all(type(v) is float for k, v in out.items()
               if k not in ("class_histogram", "num_images"))
    assert [type(c) for c in out["class_histogram"]] == [int] * 10
    assert sum(out["class_histogram"]) == out["num_images"] == 200


# --- On real MNIST, through the classifier ---------------------------------

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                        "MNIST_data")


@pytest.fixture(scope="module")
def train_2000():
    """Classifier outputs and labels of the first 2000 training images."""
    from gan_mnist.classifier import features_and_probs
    images, labels = load_mnist(DATA_DIR, "train", limit=2000)
    return features_and_probs(images) + (labels,)


def test_real_train_images_score_close_to_the_test_set(train_2000):
    feats, probs, _ = train_2000
    # The whole test set: its first and second halves come from different
    # writers, so a part of it alone would be a biased reference.
    ref = evaluation.mnist_test_reference(DATA_DIR)
    out = metrics.figures(feats, probs, ref)
    assert out["fid"] < REAL_FID_MAX
    assert out["mnist_score"] > 9.5
    assert out["class_kl"] < 0.01
    assert out["precision"] > 0.75 and out["recall"] > 0.6


def test_fid_grows_when_digits_are_missing(train_2000):
    feats, _, labels = train_2000
    ref = evaluation.mnist_test_reference(DATA_DIR)
    real = metrics.fid_from_stats(*metrics.feature_stats(feats), ref.mean,
                                  ref.cov)
    no_zeros = metrics.fid_from_stats(
        *metrics.feature_stats(feats[labels != 0]), ref.mean, ref.cov)
    only_ones = metrics.fid_from_stats(
        *metrics.feature_stats(feats[labels == 1]), ref.mean, ref.cov)
    assert real * 3 < no_zeros < only_ones


# --- The evaluate command --------------------------------------------------

def run_cli(argv, capsys, floor=False):
    """Run ``main(argv)`` (without the real-data floor unless asked: it
    costs 10000 classifier passes); return (exit status, stdout, stderr)."""
    try:
        status = evaluate.main(argv + ([] if floor else ["--no-floor"]))
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_on_500_real_images_writes_json(tmp_path, capsys):
    images, _ = load_mnist(DATA_DIR, "train", limit=500)
    path = tmp_path / "real.npz"
    np.savez(path, images=images)
    out_json = tmp_path / "figures.json"
    status, out, err = run_cli(["--images", str(path), "--json",
                                str(out_json), "--data-dir", DATA_DIR], capsys)
    assert status == 0, err
    figures = json.loads(out_json.read_text())
    assert set(figures) >= {"fid", "mnist_score", "class_kl", "precision",
                            "recall", "class_histogram"}
    assert figures["num_images"] == 500 == sum(figures["class_histogram"])
    assert figures["mnist_score"] > 9 and figures["class_kl"] < 0.05
    assert figures["precision"] > 0.6 and figures["recall"] > 0.3
    assert "FID" in out and "digit counts" in out


def test_cli_takes_flat_floats_in_npy_and_caps_count(tmp_path, capsys):
    images, _ = load_mnist(DATA_DIR, "train", limit=300)
    path = tmp_path / "flat.npy"
    np.save(path, (images.reshape(300, 784) / 127.5 - 1).astype(np.float32))
    out_json = tmp_path / "figures.json"
    status, _, err = run_cli(["--images", str(path), "--num", "100", "--json",
                              str(out_json), "--data-dir", DATA_DIR], capsys)
    assert status == 0, err
    assert json.loads(out_json.read_text())["num_images"] == 100


def write_input(path, content):
    """Write ``content`` to ``path``: bytes as they are, a list of arrays as
    an .npz, an array as an .npy; None writes nothing (a missing file)."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, list):
        np.savez(path, *content)
    elif content is not None:
        np.save(path, content)
    return str(path)


@pytest.mark.parametrize("name, content, match", [
    ("missing.npz", None, "no such file"),
    ("garbage.npy", b"not an array", "not a readable"),
    ("empty.npz", [], "holds no array"),
    ("shape.npz", [np.zeros((20, 28, 20), np.uint8)], "shape"),
    ("dtype.npy", np.zeros((20, 28, 28), np.int64), "dtype"),
    ("range.npy", np.full((20, 784), 2.0, np.float32), r"\[-1, 1\]"),
    ("few.npy", np.zeros((2, 28, 28), np.uint8), "at least 4"),
    ("scalar.npy", np.float32(0.5), "single value"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, name, content,
                                             match):
    path = write_input(tmp_path / name, content)
    status, _, err = run_cli(["--images", path, "--data-dir", DATA_DIR],
                             capsys)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("python -m gan_mnist.evaluate: error: ")
    assert re.search(match, err), err


def test_cli_bad_num_data_dir_and_json_exit_2(tmp_path, capsys):
    path = write_input(tmp_path / "ok.npy", np.zeros((20, 28, 28), np.uint8))
    status, _, err = run_cli(["--images", path, "--num", "0"], capsys)
    assert status == 2 and "--num 0" in err and err.count("\n") == 1
    status, _, err = run_cli(["--images", path, "--data-dir",
                              str(tmp_path / "nowhere")], capsys)
    assert status == 2 and "nowhere" in err and err.count("\n") == 1
    status, _, err = run_cli(["--images", path, "--json",
                              str(tmp_path / "no" / "f.json")], capsys)
    assert status == 2 and "--json" in err and err.count("\n") == 1


def test_cli_as_a_module_exits_2_on_a_missing_file(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-m", "gan_mnist.evaluate", "--images",
         str(tmp_path / "none.npz")], cwd=root, capture_output=True,
        text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "none.npz" in out.stderr


def test_format_table_shows_floor_column():
    results = {"fid": 12.5, "mnist_score": 8.1, "class_kl": 0.2,
               "precision": 0.7, "recall": 0.4, "num_images": 10,
               "class_histogram": [1] * 10}
    floor = dict(results, fid=0.9, class_histogram=[2] * 10)
    table = evaluate.format_table(results, floor)
    assert "real floor" in table and "12.500" in table and "0.900" in table
    assert "real floor" not in evaluate.format_table(results)
