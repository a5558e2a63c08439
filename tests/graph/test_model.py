"""The networks and losses: the tutorial's layers, initial weights, dropout, smoothing, leaky relu, R1."""

import numpy as np
import pytest

from gan_mnist import streams
from gan_mnist._tf import tf, v1
from gan_mnist.graph import model


def test_generator_and_discriminator_compute_the_tutorials_layers(tiny_hp):
    """G and D (without dropout) against the same layers written in numpy."""
    rng = np.random.default_rng(4)
    z = rng.standard_normal((5, tiny_hp.z_size)).astype(np.float32) * 3
    with tf.Graph().as_default():
        g, d = model.make_params(tiny_hp, seed=5)
        x = model.generator(tf.constant(z), g)
        logits = model.discriminator(x, d)
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            xv, lv, gw, dw = s.run([x, logits, g, d])
    relu = lambda a: np.maximum(a, 0)  # noqa: E731
    h = relu(relu(z @ gw[0] + gw[1]) @ gw[2] + gw[3])
    want_x = np.tanh(h @ gw[4] + gw[5])
    assert xv.shape == (5, 784) and lv.shape == (5, 1)
    np.testing.assert_allclose(xv, want_x, rtol=1e-5, atol=1e-6)
    h = relu(relu(want_x @ dw[0] + dw[1]) @ dw[2] + dw[3])
    np.testing.assert_allclose(lv, h @ dw[4] + dw[5], rtol=1e-4, atol=1e-5)


def test_initial_weights_follow_the_random_seed(tiny_hp):
    def weights(seed):
        with tf.Graph().as_default():
            g, d = model.make_params(tiny_hp, seed)
            with v1.Session() as s:
                s.run(v1.global_variables_initializer())
                return s.run(g + d)
    a, b, c = weights(1), weights(1), weights(2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    w = a[0]
    assert np.all(np.abs(w) <= 0.2) and 0.07 < w.std() < 0.1  # truncated at 2 sd
    assert not np.any(a[1])  # zero biases


def test_losses_match_the_tutorials_formula_and_stay_finite():
    real = np.array([[-30.], [-3.], [0.], [2.5], [200.], [-200.]], np.float32)
    fake = np.array([[30.], [1.], [-0.5], [-4.], [-200.], [200.]], np.float32)
    with tf.Graph().as_default():
        d = model.d_loss_terms(tf.constant(real), tf.constant(fake))
        g = model.g_loss_terms(tf.constant(fake))
        tut_d = -(tf.math.log(tf.sigmoid(real)) + tf.math.log(1 - tf.sigmoid(fake)))
        tut_g = -tf.math.log(tf.sigmoid(fake))
        with v1.Session() as s:
            d, g, sd, sg = s.run([d, g, tut_d, tut_g])
    assert np.all(np.isfinite(d)) and np.all(np.isfinite(g))
    finite = np.isfinite(sd)
    assert not finite.all(), "the tutorial's formula should overflow on |logit| 200"
    np.testing.assert_allclose(d[finite], sd[finite], rtol=1e-4, atol=1e-5)
    finite = np.isfinite(sg)
    np.testing.assert_allclose(g[finite], sg[finite], rtol=1e-4, atol=1e-5)
    # Where the tutorial's formula gives inf or nan, the exact value is near.
    assert d[-1, 0] == pytest.approx(400.0, rel=1e-3)
    assert d[-2, 0] == pytest.approx(0.0, abs=1e-6)


def test_dropout_keeps_units_independently_with_the_keep_probability(tiny_hp):
    hp = tiny_hp._replace(keep_prob=0.7, h2_size=512, h1_size=7)
    with tf.Graph().as_default():
        a1, b1 = model.dropout_masks(2000, hp, 3, streams.D_DROP, tf.constant(5, tf.int64))
        a2, _ = model.dropout_masks(2000, hp, 3, streams.D_DROP, tf.constant(6, tf.int64))
        with v1.Session() as s:
            a1, b1, a2 = s.run([a1, b1, a2])
    assert a1.shape == (2000, 512) and b1.shape == (2000, 7)  # odd widths too
    assert set(np.unique(a1)) == {0.0, np.float32(1 / 0.7)}
    kept = a1 > 0
    assert abs(kept.mean() - 0.7) < 0.003  # 1M draws: 0.0005 standard error
    # the two 16-bit halves of one random word are independent
    assert abs(np.corrcoef(kept[:, 0::2].ravel(), kept[:, 1::2].ravel())[0, 1]) < 0.01
    # another iteration draws other masks
    assert 0.5 < np.mean((a1 > 0) == (a2 > 0)) < 0.65


def test_label_smoothing_is_cross_entropy_with_the_smoothed_target():
    real = np.array([[-3.0], [0.0], [2.0]], np.float32)
    fake = np.array([[1.0], [-1.0], [0.5]], np.float32)
    with tf.Graph().as_default():
        plain = model.d_loss_terms(tf.constant(real), tf.constant(fake))
        smooth = model.d_loss_terms(tf.constant(real), tf.constant(fake), 0.9)
        with v1.Session() as s:
            plain, smooth = s.run([plain, smooth])
    p, q = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    np.testing.assert_allclose(plain, -(np.log(p) + np.log(1 - q)), rtol=1e-5)
    np.testing.assert_allclose(
        smooth, -(0.9 * np.log(p) + 0.1 * np.log(1 - p) + np.log(1 - q)), rtol=1e-5)


def test_glorot_init_and_leaky_discriminator(tiny_hp):
    hp = tiny_hp._replace(init="glorot", h2_size=300)
    with tf.Graph().as_default():
        g, d = model.make_params(hp, seed=2)
        x = tf.constant(np.full((2, 784), -1.0, np.float32))
        out = {a: model.discriminator(x, d, leak=a) for a in (0.0, 0.2)}
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            w, outs = s.run(d[0]), s.run(out)
    limit = (6 / (784 + 300)) ** 0.5
    assert w.shape == (784, 300) and np.abs(w).max() <= limit
    assert abs(w.std() - limit / 3 ** 0.5) < 0.002  # uniform on +-limit
    assert not np.allclose(outs[0.0], outs[0.2])


def test_r1_penalty_is_the_squared_input_gradient_of_the_logit(tiny_hp):
    """Against the gradient written out in numpy for a leaky D with dropout."""
    hp = tiny_hp._replace(h2_size=6, h1_size=5)
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (4, 784)).astype(np.float32)
    m1 = (rng.random((4, 6)) < 0.7) / 0.7
    m2 = (rng.random((4, 5)) < 0.7) / 0.7
    with tf.Graph().as_default():
        _, d = model.make_params(hp, seed=2)
        xt = tf.constant(x)
        logits = model.discriminator(xt, d, (tf.constant(m1, tf.float32),
                                             tf.constant(m2, tf.float32)), leak=0.2)
        pen = model.r1_penalty(logits, xt)
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            pen, (w1, b1, w2, b2, w3, _) = s.run([pen, d])
    a1 = x @ w1 + b1
    h1 = np.where(a1 > 0, a1, 0.2 * a1) * m1
    a2 = h1 @ w2 + b2
    slope1, slope2 = np.where(a1 > 0, 1, 0.2), np.where(a2 > 0, 1, 0.2)
    grad = ((w3[:, 0] * m2 * slope2) @ w2.T * m1 * slope1) @ w1.T  # (4, 784)
    assert pen == pytest.approx(float((grad ** 2).sum()), rel=1e-4)
