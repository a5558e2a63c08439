"""The training graph: the tutorial's variables and tensor names, the data kept out of the checkpoint, chains, the average and the rates."""

import numpy as np
import pytest
from conftest import graph_session

from gan_mnist._tf import tf, v1
from gan_mnist.graph import model, tutorial
from gan_mnist.graph.train_graph import build_train_graph, whole_chains
from gan_mnist.rundir import checkpoints


def test_xla_chains_fill_an_epoch_where_a_length_of_k_to_2k_divides_it():
    assert [whole_chains(n, 4) for n in (1875, 234, 14, 8, 11, 3)] == [5, 6, 7, 4, 4, 4]
    assert whole_chains(14, 1) == 1


def _read_vars(sess, graph, names):
    found = {v.op.name: v for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
    return sess.run({n: found[n] for n in names})


def _var_shapes(graph):
    return {v.op.name: tuple(v.shape.as_list())
            for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}


def test_checkpoint_variables_are_the_tutorials(tiny_hp, fake_images):
    tg = build_train_graph(tiny_hp._replace(seed=1), len(fake_images))
    sg = tutorial.build_tutorial_graph(tiny_hp)
    ours, seeds = _var_shapes(tg.graph), _var_shapes(sg.graph)
    assert ours == seeds
    assert {"g_w1", "d_b3", "global_step", "beta1_power", "g_w1/Adam_1"} <= set(ours)
    # The training images live in a local variable: never saved.
    saved = {v.op.name for v in tg.saver._var_list}
    assert "train_images" not in saved and "epoch_order" not in saved


def test_data_stay_out_of_the_meta_graph(tiny_hp):
    images = np.full((4000, 784), 7, np.uint8)
    tg = build_train_graph(tiny_hp._replace(seed=1), len(images))
    assert tg.graph.as_graph_def().ByteSize() < 400_000  # data alone: 3.1 MB


def test_beta1_reaches_the_shared_adam(tiny_hp, fake_images):
    tg = build_train_graph(tiny_hp._replace(beta1=0.5, seed=1), len(fake_images))
    sess = graph_session(tg, fake_images)
    sess.run(tg.train_op, {tg.iteration: 0})
    assert _read_vars(sess, tg.graph, ["beta1_power"])["beta1_power"] == pytest.approx(0.5 ** 3)


def test_g_average_tracks_the_weights_and_feeds_the_samples(tiny_hp, fake_images):
    decay = 0.75
    tg = build_train_graph(tiny_hp._replace(g_average=decay, seed=1),
                           len(fake_images))
    names = [p.op.name for p in tg.g_params]
    assert [s.op.name for s in tg.g_average] == [n + checkpoints.AVERAGE_SUFFIX for n in names]
    trainable = {v.op.name for v in tg.graph.get_collection(
        v1.GraphKeys.TRAINABLE_VARIABLES)}
    assert not trainable & {s.op.name for s in tg.g_average}
    sess = graph_session(tg, fake_images)
    shadow = sess.run(tg.g_params)   # the average starts at the initial weights
    for it in range(3):
        sess.run(tg.train_op, {tg.iteration: it})
        weights = sess.run(tg.g_params)
        shadow = [decay * s + (1 - decay) * w for s, w in zip(shadow, weights)]
    for want, got in zip(shadow, sess.run(tg.g_average)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # samples come from the average, not from the last weights
    z = np.random.default_rng(0).standard_normal((4, tiny_hp.z_size)).astype(np.float32)
    with tf.Graph().as_default():
        x = model.generator(tf.constant(z), [tf.constant(s) for s in shadow])
        with v1.Session() as s:
            want = s.run(x)
    np.testing.assert_allclose(sess.run(tg.x_sample, {tg.z_sample: z}), want,
                               rtol=1e-4, atol=1e-5)
    # without the option the graph holds the tutorial's variables only
    plain = build_train_graph(tiny_hp._replace(seed=1), len(fake_images))
    assert plain.g_average == [] and not any(
        checkpoints.AVERAGE_SUFFIX in n for n in _var_shapes(plain.graph))


def test_the_meta_graph_carries_the_tutorials_tensor_names(tiny_hp, fake_images, tmp_path):
    """A reader of the tutorial finds z_prior, x_generated and x_data in the
    saved .meta graph and can sample from it without this package."""
    tg = build_train_graph(tiny_hp._replace(seed=1), len(fake_images))
    sess = graph_session(tg, fake_images)
    with tg.graph.as_default():
        prefix = tg.saver.save(sess, str(tmp_path / "model"), global_step=1)
    z = np.random.default_rng(0).standard_normal((3, tiny_hp.z_size)).astype(np.float32)
    want = sess.run(tg.x_sample, {tg.z_sample: z})
    with tf.Graph().as_default() as g, v1.Session(graph=g) as s:
        v1.train.import_meta_graph(prefix + ".meta").restore(s, prefix)
        assert g.get_tensor_by_name("x_data:0").shape.as_list() == [8, 784]
        got = s.run("x_generated:0", {"z_prior:0": z})
    np.testing.assert_array_equal(got, want)


def test_d_and_g_updates_take_their_own_learning_rates(tiny_hp, fake_images):
    """Adam's first update moves each weight by its learning rate (times
    sqrt(1 + beta2) / (1 + beta1) for G's, which comes second on the shared
    beta powers); a zero gradient moves nothing."""
    hp = tiny_hp._replace(seed=1, d_learning_rate=3e-3, g_learning_rate=2e-4,
                          beta1=0.5, beta2=0.99)
    tg = build_train_graph(hp, len(fake_images))
    sess = graph_session(tg, fake_images)
    before = sess.run([tg.d_params[0], tg.g_params[0]])
    sess.run(tg.train_op, {tg.iteration: 0})
    after = sess.run([tg.d_params[0], tg.g_params[0]])
    d_step, g_step = (np.abs(a - b) for a, b in zip(after, before))
    assert np.median(d_step[d_step > 0]) == pytest.approx(3e-3, rel=1e-3)
    assert np.median(g_step[g_step > 0]) == pytest.approx(2e-4 * 1.99 ** 0.5 / 1.5, rel=1e-3)
