"""The generator that ships with the package."""

import json
import os

import numpy as np
import pytest
from conftest import DATA

from gan_mnist import evaluate, export, generate
from gan_mnist._tf import tf
from gan_mnist.sampling import pretrained


def test_it_is_a_small_npz_of_float32_weights_with_its_story():
    weights, info = pretrained.load()
    assert weights["g_w1"].shape == (128, 256) and weights["g_w3"].shape == (512, 784)
    assert all(w.dtype == np.float32 for w in weights.values())
    assert os.path.getsize(pretrained.PATH) < 5e6  # G and D, float32
    assert info["command"].startswith("python -m gan_mnist.train")
    assert {"fid", "mnist_score", "class_kl", "precision", "recall"} <= set(info["evaluation"])


def test_generate_needs_no_data_and_no_run_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no MNIST_data, no output/ here
    generate.main(["--pretrained", "--out", "digits.png"])
    generate.main(["--pretrained", "--num", "1000", "--out", "many.npz"])
    assert os.path.exists(tmp_path / "digits.png")
    assert "pretrained" in capsys.readouterr().out
    from gan_mnist.measure.classifier import features_and_probs
    _, probs = features_and_probs(np.load(tmp_path / "many.npz")["images"])
    counts = np.bincount(probs.argmax(1), minlength=10)
    assert counts.min() >= 50, counts  # every digit, in fair shares
    assert np.mean(probs.max(1) > 0.9) > 0.8  # and mostly confident ones


@pytest.mark.slow
def test_evaluate_reproduces_the_published_figures(tmp_path, capsys):
    _, info = pretrained.load()
    out = tmp_path / "figures.json"
    assert evaluate.main(["--pretrained", "--num", "10000", "--seed", "0", "--no-floor",
                          "--data-dir", DATA, "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    for key, value in info["evaluation"].items():
        # Equal to the last bits on a CPU whose kernels are those that
        # measured them (oneDNN's); others round differently (Eigen's,
        # on an AVX2 CPU: FID 9.1165415 against 9.1165372).
        assert got[key] == pytest.approx(value, rel=1e-5), key


@pytest.mark.slow
@pytest.mark.parametrize("label, flags, percentile, steps", [
    ("evaluation_rejection50", ["--rejection", "50"], 50, None),
    ("evaluation_rejection50_refine30", ["--rejection", "50", "--refine", "30"], 50, 30),
], ids=["rejection", "rejection-refine"])
def test_rejection_and_refine_reproduce_their_published_figures_and_beat_plain(
        tmp_path, label, flags, percentile, steps):
    _, info = pretrained.load()
    want = dict(info[label])
    drawn = want.pop("drawn")
    out = tmp_path / "figures.json"
    assert evaluate.main(["--pretrained", *flags, "--num", "10000", "--seed", "0",
                          "--no-floor", "--data-dir", DATA, "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["sampling"] == dict({"rejection_percentile": percentile, "drawn": drawn},
                                   **({"refine_steps": steps} if steps else {}))
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-5), key
    assert got["fid"] < info["evaluation"]["fid"]
    if steps:  # the refined digits are less ambiguous than the plain ones
        assert got["sample_entropy"] < info["evaluation"]["sample_entropy"]


def test_export_of_the_pretrained_generator_matches_generate(tmp_path):
    export.main(["--pretrained", "--to", str(tmp_path / "g")])
    generate.main(["--pretrained", "--num", "32", "--seed", "5", "--out",
                   str(tmp_path / "s.npz")])
    z = np.random.default_rng(5).standard_normal((32, 128)).astype(np.float32)
    sig = tf.saved_model.load(str(tmp_path / "g")).signatures["serving_default"]
    digits = sig(z=tf.constant(z))["digits"].numpy()[..., 0]
    np.testing.assert_array_equal(digits, np.load(tmp_path / "s.npz")["images"])
    info = json.loads((tmp_path / "g" / "export.json").read_text())
    assert info["source"] == "pretrained" and "evaluation" in info
