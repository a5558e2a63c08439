"""The graph: names, shapes, losses, and one fast step against the seed's."""

import numpy as np
import pytest

from gan_mnist import checkpoints, model, optim, reference, streams
from gan_mnist.train_graph import build_train_graph
from gan_mnist._tf import tf, v1


def _session(tg, images):
    sess = v1.Session(graph=tg.graph)
    sess.run(tg.init)
    sess.run(tg.data_init, {tg.images: images,
                            tg.order: np.arange(len(images), dtype=np.int32)})
    return sess


def _read_vars(sess, graph, names):
    found = {v.op.name: v for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
    return sess.run({n: found[n] for n in names})


def _assert_step_close(got, want, rate, xla, atol=1e-7, name=""):
    """A variable after one step of the package's graph (``got``) against
    the tutorial's graph (``want``): within float32 rounding (rtol 1e-5).
    An XLA program rounds differently, and Adam's first step divides a
    gradient by its own magnitude: where a gradient is within rounding of
    0, the step itself may differ, by less than the learning rate ``rate``
    (the most that one Adam step moves a weight). At most one element in a
    thousand may do so; the rest agree within rounding."""
    if not xla:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol, err_msg=name)
        return
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=rate, err_msg=name)
    loose = ~np.isclose(got, want, rtol=1e-5, atol=atol)
    assert loose.mean() <= 1e-3, (name, loose.sum())


def _var_shapes(graph):
    return {v.op.name: tuple(v.shape.as_list())
            for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}


def test_checkpoint_variables_are_the_seeds(tiny_hp, fake_images):
    tg = build_train_graph(tiny_hp._replace(seed=1), len(fake_images))
    sg = reference.build_seed_graph(tiny_hp)
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


def test_generator_and_discriminator_compute_the_seeds_layers(tiny_hp):
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


def test_initial_weights_follow_the_seed(tiny_hp):
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


def test_losses_match_the_seed_formula_and_stay_finite():
    real = np.array([[-30.], [-3.], [0.], [2.5], [200.], [-200.]], np.float32)
    fake = np.array([[30.], [1.], [-0.5], [-4.], [-200.], [200.]], np.float32)
    with tf.Graph().as_default():
        d = model.d_loss_terms(tf.constant(real), tf.constant(fake))
        g = model.g_loss_terms(tf.constant(fake))
        seed_d = -(tf.math.log(tf.sigmoid(real)) + tf.math.log(1 - tf.sigmoid(fake)))
        seed_g = -tf.math.log(tf.sigmoid(fake))
        with v1.Session() as s:
            d, g, sd, sg = s.run([d, g, seed_d, seed_g])
    assert np.all(np.isfinite(d)) and np.all(np.isfinite(g))
    finite = np.isfinite(sd)
    assert not finite.all(), "the seed's formula should overflow on |logit| 200"
    np.testing.assert_allclose(d[finite], sd[finite], rtol=1e-4, atol=1e-5)
    finite = np.isfinite(sg)
    np.testing.assert_allclose(g[finite], sg[finite], rtol=1e-4, atol=1e-5)
    # Where the seed's formula gives inf or nan, the exact value is near.
    assert d[-1, 0] == pytest.approx(400.0, rel=1e-3)
    assert d[-2, 0] == pytest.approx(0.0, abs=1e-6)


def test_fast_step_equals_the_seed_graphs_step(tiny_hp, fake_images):
    """Same weights, data, noise and dropout masks: same losses and weights.
    (The XLA step is held to the same in the test below, with the recipes'
    options.)"""
    B = tiny_hp.batch_size
    tg = build_train_graph(tiny_hp._replace(seed=11), len(fake_images))
    sess = _session(tg, fake_images)
    start = sess.run(tg.g_params + tg.d_params)
    t = tg.tensors
    _, d_loss, g_loss, x_real, z, dm, gm = sess.run(
        [tg.train_op, tg.d_loss, tg.g_loss, t["x_real"], t["z"],
         t["d_masks"], t["g_masks"]], {tg.iteration: 0})
    after = sess.run(tg.g_params + tg.d_params)
    names = ("g_w2/Adam", "d_w1/Adam_1", "beta1_power", "beta2_power")
    slots = _read_vars(sess, tg.graph, names)
    np.testing.assert_array_equal(
        x_real, (fake_images[:B] / 255.0 * 2 - 1).astype(np.float32))
    # the graph's dropout scales are 1/keep_prob or 0; the seed graph takes 0/1
    dm, gm = [[(m > 0).astype(np.float32) for m in ms] for ms in (dm, gm)]
    kept = np.mean(np.concatenate([m.ravel() for m in dm + gm]))
    assert abs(kept - tiny_hp.keep_prob) < 0.03

    sg = reference.build_seed_graph(tiny_hp, with_masks=True)
    with sg.graph.as_default():
        s = v1.Session()
        s.run(sg.init)
        for var, value in zip(sg.g_params + sg.d_params, start):
            var.load(value, s)
        feed = {sg.x_data: x_real, sg.z_prior: z, sg.keep_prob: tiny_hp.keep_prob,
                sg.masks[0]: dm[0], sg.masks[1]: dm[1]}
        _, seed_d = s.run([sg.d_trainer, sg.d_loss], feed)
        # G update: the real half's masks do not matter (sliced away).
        feed[sg.masks[0]] = np.concatenate([np.ones_like(gm[0]), gm[0]])
        feed[sg.masks[1]] = np.concatenate([np.ones_like(gm[1]), gm[1]])
        _, seed_g = s.run([sg.g_trainer, sg.g_loss], feed)
        seed_after = s.run(sg.g_params + sg.d_params)
        seed_slots = _read_vars(s, sg.graph, names)

    assert d_loss == pytest.approx(seed_d.mean(), rel=1e-5)
    assert g_loss == pytest.approx(seed_g.mean(), rel=1e-5)
    for a, b, s0 in zip(after, seed_after, start):
        assert not np.array_equal(a, s0)  # the step moved every variable
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for name in slots:
        np.testing.assert_allclose(slots[name], seed_slots[name], rtol=1e-5, atol=1e-9)
    # Both updates advance the shared beta powers: 0.9 ** 3 after one
    # iteration (it starts at 0.9).
    assert slots["beta1_power"] == pytest.approx(0.9 ** 3)


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


# ---------------------------------------------------- options beyond the seed

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


def test_beta1_reaches_the_shared_adam(tiny_hp, fake_images):
    tg = build_train_graph(tiny_hp._replace(beta1=0.5, seed=1), len(fake_images))
    sess = _session(tg, fake_images)
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
    sess = _session(tg, fake_images)
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
    # without the option the graph holds the seed's variables only
    plain = build_train_graph(tiny_hp._replace(seed=1), len(fake_images))
    assert plain.g_average == [] and not any(
        checkpoints.AVERAGE_SUFFIX in n for n in _var_shapes(plain.graph))


def test_the_meta_graph_carries_the_tutorials_tensor_names(tiny_hp, fake_images, tmp_path):
    """A reader of the tutorial finds z_prior, x_generated and x_data in the
    saved .meta graph and can sample from it without this package."""
    tg = build_train_graph(tiny_hp._replace(seed=1), len(fake_images))
    sess = _session(tg, fake_images)
    with tg.graph.as_default():
        prefix = tg.saver.save(sess, str(tmp_path / "model"), global_step=1)
    z = np.random.default_rng(0).standard_normal((3, tiny_hp.z_size)).astype(np.float32)
    want = sess.run(tg.x_sample, {tg.z_sample: z})
    with tf.Graph().as_default() as g, v1.Session(graph=g) as s:
        v1.train.import_meta_graph(prefix + ".meta").restore(s, prefix)
        assert g.get_tensor_by_name("x_data:0").shape.as_list() == [8, 784]
        got = s.run("x_generated:0", {"z_prior:0": z})
    np.testing.assert_array_equal(got, want)


# ------------------------------------------ options of the better recipes

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


def test_learning_rates_fall_linearly_over_the_last_share_of_the_run(tiny_hp):
    hp = tiny_hp._replace(learning_rate=1e-3, g_learning_rate=5e-4, lr_decay=0.25)
    assert optim.learning_rates(hp._replace(lr_decay=0.0), 7, 100) == (1e-3, 5e-4)
    with tf.Graph().as_default():
        it = v1.placeholder(tf.int64, [])
        d, g = optim.learning_rates(hp, it, 100)
        with v1.Session() as s:
            got = [s.run([d, g], {it: i}) for i in (0, 75, 80, 99, 100)]
    np.testing.assert_allclose([r[0] for r in got], [1e-3, 1e-3, 8e-4, 4e-5, 0.0], rtol=1e-6)
    np.testing.assert_allclose([r[1] for r in got], [5e-4, 5e-4, 4e-4, 2e-5, 0.0], rtol=1e-6)


def test_d_and_g_updates_take_their_own_learning_rates(tiny_hp, fake_images):
    """Adam's first update moves each weight by its learning rate (times
    sqrt(1 + beta2) / (1 + beta1) for G's, which comes second on the shared
    beta powers); a zero gradient moves nothing."""
    hp = tiny_hp._replace(seed=1, d_learning_rate=3e-3, g_learning_rate=2e-4,
                          beta1=0.5, beta2=0.99)
    tg = build_train_graph(hp, len(fake_images))
    sess = _session(tg, fake_images)
    before = sess.run([tg.d_params[0], tg.g_params[0]])
    sess.run(tg.train_op, {tg.iteration: 0})
    after = sess.run([tg.d_params[0], tg.g_params[0]])
    d_step, g_step = (np.abs(a - b) for a, b in zip(after, before))
    assert np.median(d_step[d_step > 0]) == pytest.approx(3e-3, rel=1e-3)
    assert np.median(g_step[g_step > 0]) == pytest.approx(2e-4 * 1.99 ** 0.5 / 1.5, rel=1e-3)


@pytest.mark.parametrize("options", [
    # --recipe improved's options that act within a step (and its average)
    dict(leaky_relu=0.2, label_smoothing=0.1, beta1=0.5, learning_rate=2e-4,
         g_average=0.999),
    # the newer options: separate rates, beta2, R1, and a rate late in its decay
    dict(leaky_relu=0.2, d_learning_rate=3e-3, g_learning_rate=1e-3, beta2=0.99,
         r1=2.0, lr_decay=0.5, g_average=0.9),
])
@pytest.mark.parametrize("xla", [False, True])
def test_a_step_with_the_recipes_options_equals_the_seed_graphs(
        tiny_hp, fake_images, options, xla):
    """As the test above, with the options: the tutorial's graph built its
    way with the same options gives the same losses, weights, Adam slots and
    average after one step (also as one XLA program)."""
    hp = tiny_hp._replace(seed=11, max_epoch=2, xla=xla, **options)
    tg = build_train_graph(hp, len(fake_images))
    it = 13  # of 2 x 8 iterations: a decaying rate is at 3 / 8 of its value
    sess = _session(tg, fake_images)
    start = sess.run(tg.g_params + tg.d_params)
    t = tg.tensors
    _, d_loss, g_loss, x_real, z, dm, gm = sess.run(
        [tg.train_op, tg.d_loss, tg.g_loss, t["x_real"], t["z"],
         t["d_masks"], t["g_masks"]], {tg.iteration: it})
    names = [v.op.name for v in tg.g_params + tg.d_params]
    names += ["g_w3/Adam", "d_w1/Adam_1", "beta1_power", "beta2_power"]
    names += [n + checkpoints.AVERAGE_SUFFIX for n in ("g_w1", "g_b3")]
    after = _read_vars(sess, tg.graph, names)
    scale = 3 / 8 if hp.lr_decay else 1.0
    rates = [(r or hp.learning_rate) * scale
             for r in (hp.d_learning_rate, hp.g_learning_rate)]

    dm, gm = [[(m > 0).astype(np.float32) for m in ms] for ms in (dm, gm)]
    sg = reference.build_seed_graph(hp, with_masks=True)
    with sg.graph.as_default():
        s = v1.Session()
        s.run(sg.init)
        found = {v.op.name: v for v in sg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
        for var, value in zip(sg.g_params + sg.d_params, start):
            var.load(value, s)
            shadow = found.get(var.op.name + checkpoints.AVERAGE_SUFFIX)
            if shadow is not None:  # the average starts at the weights
                shadow.load(value, s)
        feed = {sg.x_data: x_real, sg.z_prior: z, sg.keep_prob: hp.keep_prob,
                sg.masks[0]: dm[0], sg.masks[1]: dm[1], sg.learning_rate: rates[0]}
        _, seed_d = s.run([sg.d_trainer, sg.d_loss], feed)
        feed[sg.masks[0]] = np.concatenate([np.ones_like(gm[0]), gm[0]])
        feed[sg.masks[1]] = np.concatenate([np.ones_like(gm[1]), gm[1]])
        feed[sg.learning_rate] = rates[1]
        _, seed_g = s.run([sg.g_trainer, sg.g_loss], feed)
        s.run(sg.g_average)
        seed_after = _read_vars(s, sg.graph, names)

    assert d_loss == pytest.approx(seed_d.mean(), rel=1e-5)
    assert g_loss == pytest.approx(seed_g.mean(), rel=1e-5)
    for name in names:
        _assert_step_close(after[name], seed_after[name], max(rates), xla, name=name)
    moved = [n for n, s0 in zip(names, start) if not np.array_equal(after[n], s0)]
    assert len(moved) == 12  # the step moved every weight
