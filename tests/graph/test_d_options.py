"""The discriminator's options, each on tiny shapes: spectral
normalisation, the minibatch deviation, the hinge loss, top-k and D's own
widths. Each is off by default, and then the graph is the tutorial's (see
test_step)."""

import numpy as np
import pytest
from conftest import graph_session

from gan_mnist._tf import tf, v1
from gan_mnist.graph import model
from gan_mnist.graph.step import g_keep
from gan_mnist.graph.train_graph import build_train_graph


def _run(build, feed=None):
    """Run what ``build()`` makes, in a graph of its own."""
    graph = tf.Graph()
    with graph.as_default(), v1.Session() as s:
        made = build()
        return s.run(made, feed(made) if feed else None)


def test_power_iterations_find_the_largest_singular_value():
    w_value = np.random.default_rng(0).standard_normal((40, 24)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        w = tf.constant(w_value)
        u = v1.Variable(tf.math.l2_normalize(tf.ones([1, 24]), axis=1))
        w_sn, u_next = model.spectral_normalize(w, u.read_value())
        step = u.assign(u_next)
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            for _ in range(50):
                s.run(step)
            normalized = s.run(w_sn)
    assert np.linalg.svd(normalized, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)
    assert np.allclose(normalized * np.linalg.svd(w_value, compute_uv=False)[0],
                       w_value, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("groups", [1, 2])
def test_the_minibatch_deviation_is_each_groups_own(groups):
    h = np.random.default_rng(1).standard_normal((8, 5)).astype(np.float32)
    h[4:] *= 3.0  # the second half spreads more
    got = _run(lambda: model.minibatch_stddev(tf.constant(h), groups))
    want = np.concatenate([np.full(len(part), np.sqrt(part.var(0) + 1e-8).mean())
                           for part in np.split(h, groups)])
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-5)


def test_the_hinge_losses_and_the_top_k_mask():
    real, fake = [[2.0], [0.5], [-1.0]], [[-2.0], [0.0], [1.5]]
    got = _run(lambda: model.hinge_d_terms(tf.constant(real), tf.constant(fake)))
    np.testing.assert_allclose(got[:, 0], [0.0, 1.5, 4.5])
    got = _run(lambda: model.hinge_d_terms(tf.constant(real), tf.constant(fake), 0.9))
    np.testing.assert_allclose(got[:, 0], [0.0, 1.4, 4.4], rtol=1e-6)  # smoothed margin
    got = _run(lambda: model.g_loss_terms(tf.constant(fake), "hinge"))
    np.testing.assert_allclose(got[:, 0], [2.0, 0.0, -1.5])
    logits = [[0.3], [2.0], [-1.0], [1.0], [0.5]]
    for k, want in ((2, [0, 1, 0, 1, 0]), (4, [1, 1, 0, 1, 1])):
        def build():
            return model.top_k_mask(tf.constant(logits), tf.constant(k))
        assert _run(build)[:, 0].tolist() == want


def test_top_k_keeps_the_batch_then_falls_to_its_share(tiny_hp):
    hp = tiny_hp._replace(batch_size=32, top_k=0.5, top_k_decay=0.99)
    graph = tf.Graph()
    with graph.as_default():
        it = v1.placeholder(tf.int64, [])
        k = g_keep(hp, it, 10)
        with v1.Session() as s:
            got = [s.run(k, {it: epoch * 10 + 3}) for epoch in (0, 1, 13, 14, 200)]
    # floor(32 * 0.99 ** epoch), never below ceil(0.5 * 32)
    assert got == [32, 31, 28, 27, 16]
    assert g_keep(tiny_hp, None, 10) is None


def test_d_widths_of_its_own_and_the_new_variables(tiny_hp, fake_images):
    hp = tiny_hp._replace(d_h1_size=12, d_h2_size=20, mbstd=True, spectral_norm=True,
                          loss="hinge", top_k=0.5)
    tg = build_train_graph(hp, len(fake_images))
    shapes = {v.op.name: v.shape.as_list()
              for v in tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
    assert shapes["d_w1"] == [784, 20] and shapes["d_w2"] == [20, 12]
    assert shapes["d_w3"] == [12, 1] and shapes["d_w_mbstd"] == [1, 1]
    assert shapes["d_w1/sn_u"] == [1, 20] and shapes["d_w3/sn_u"] == [1, 1]
    # G keeps the tutorial's shapes, whatever D does
    assert shapes["g_w1"] == [8, 16] and shapes["g_w3"] == [32, 784]
    sess = graph_session(tg, fake_images)
    (u,) = [v for v in tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
            if v.op.name == "d_w1/sn_u"]
    u_before = sess.run(u)
    losses = sess.run([tg.train_op, tg.d_loss, tg.g_loss], {tg.iteration: 0})[1:]
    assert all(np.isfinite(losses))
    assert not np.array_equal(u_before, sess.run(u))  # the power iteration moved on
