"""The MNIST classifier behind every figure."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import DATA, ROOT

from gan_mnist.data import load_mnist
from gan_mnist.errors import UsageError
from gan_mnist.measure import classifier


@pytest.fixture(scope="module")
def test_1000():
    return load_mnist(DATA, "test", limit=1000)


@pytest.fixture(scope="module")
def outputs_1000(test_1000):
    return classifier.features_and_probs(test_1000[0])


def test_stored_weights_are_small_and_complete():
    assert os.path.getsize(classifier.DEFAULT_PATH) < 2e6
    w = classifier.load_weights()
    assert {k: v.shape for k, v in w.items()} == classifier.SHAPES
    assert all(v.dtype == np.float32 and np.isfinite(v).all()
               for v in w.values())


def test_accuracy_on_first_1000_test_images(test_1000, outputs_1000):
    _, labels = test_1000
    _, probs = outputs_1000
    assert np.mean(probs.argmax(axis=1) == labels) >= 0.985


def test_output_shapes_dtypes_and_ranges(outputs_1000):
    feats, probs = outputs_1000
    assert feats.shape == (1000, 128) and feats.dtype == np.float64
    assert probs.shape == (1000, 10) and probs.dtype == np.float64
    assert feats.min() >= 0
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_uint8_float_and_flat_inputs_agree(test_1000, outputs_1000):
    images = test_1000[0][:200]
    as_float = images.astype(np.float32) / 127.5 - 1
    for other in (as_float, images.reshape(200, 784),
                  as_float.reshape(200, 784).astype(np.float64)):
        feats, probs = classifier.features_and_probs(other, batch_size=64)
        np.testing.assert_allclose(feats, outputs_1000[0][:200], atol=1e-4)
        np.testing.assert_allclose(probs, outputs_1000[1][:200], atol=1e-5)


@pytest.mark.parametrize("images, match", [
    (np.zeros((5, 28, 27), np.uint8), "shape"),
    (np.zeros((5, 783), np.uint8), "shape"),
    (np.zeros((5, 28, 28), np.int64), "dtype"),
    (np.full((5, 28, 28), 1.5, np.float32), r"\[-1, 1\]"),
    (np.full((5, 28, 28), np.nan, np.float32), "NaN"),
], ids=["28x27", "783-pixels", "int64", "out-of-range", "nan"])
def test_bad_images_raise_value_error(images, match):
    with pytest.raises(ValueError, match=match):
        classifier.features_and_probs(images)


def test_runs_inside_a_tf1_graph_without_touching_it(test_1000, outputs_1000):
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.placeholder(tf.float32, [None, 2])
        n_ops = len(graph.get_operations())
        feats, _ = classifier.features_and_probs(test_1000[0][:50])
        with tf.compat.v1.Session(graph=graph):
            feats2, _ = classifier.features_and_probs(
                test_1000[0][:50], classifier.load_weights())
    assert len(graph.get_operations()) == n_ops
    np.testing.assert_allclose(feats, outputs_1000[0][:50], atol=1e-5)
    np.testing.assert_allclose(feats2, outputs_1000[0][:50], atol=1e-5)


def test_missing_or_broken_weights_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        classifier.load_weights(str(tmp_path / "none.npz"))
    partial = tmp_path / "partial.npz"
    np.savez(partial, conv1_w=np.zeros((3, 3, 1, 32), np.float16))
    with pytest.raises(UsageError, match="conv1_b"):
        classifier.load_weights(str(partial))


@pytest.mark.slow
def test_runs_with_eager_execution_switched_off(tmp_path):
    # A fresh process: switching eager off cannot be undone in this one.
    script = tmp_path / "graph_mode.py"
    script.write_text(
        "import numpy as np, tensorflow as tf\n"
        "tf.compat.v1.disable_eager_execution()\n"
        "from gan_mnist.measure import classifier\n"
        "v = tf.compat.v1.get_variable('v', [3])\n"
        "with tf.compat.v1.Session() as s:\n"
        "    s.run(tf.compat.v1.global_variables_initializer())\n"
        "    f, p = classifier.features_and_probs(np.zeros((7, 784), np.uint8))\n"
        "print(f.shape, p.shape)\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, str(script)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("(7, 128) (7, 10)")
