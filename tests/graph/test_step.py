"""One step of the package's graph against one step of the tutorial's graph, with the defaults and every option of the recipes."""

import numpy as np
import pytest
from conftest import graph_session

from gan_mnist._tf import v1
from gan_mnist.graph import tutorial
from gan_mnist.graph.train_graph import build_train_graph
from gan_mnist.rundir import checkpoints


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


def test_the_step_equals_the_tutorials_graphs_step(tiny_hp, fake_images):
    """Same weights, data, noise and dropout masks: same losses and weights.
    (The XLA step is held to the same in the test below, with the recipes'
    options.)"""
    B = tiny_hp.batch_size
    tg = build_train_graph(tiny_hp._replace(seed=11), len(fake_images))
    sess = graph_session(tg, fake_images)
    start = sess.run(tg.g_params + tg.d_params)
    t = tg.inner
    _, d_loss, g_loss, x_real, z, dm, gm = sess.run(
        [tg.train_op, tg.d_loss, tg.g_loss, t.x_real, t.z,
         t.d_masks, t.g_masks], {tg.iteration: 0})
    after = sess.run(tg.g_params + tg.d_params)
    names = ("g_w2/Adam", "d_w1/Adam_1", "beta1_power", "beta2_power")
    slots = _read_vars(sess, tg.graph, names)
    np.testing.assert_array_equal(
        x_real, (fake_images[:B] / 255.0 * 2 - 1).astype(np.float32))
    # the graph's dropout scales are 1/keep_prob or 0; the tutorial's graph takes 0/1
    dm, gm = [[(m > 0).astype(np.float32) for m in ms] for ms in (dm, gm)]
    kept = np.mean(np.concatenate([m.ravel() for m in dm + gm]))
    assert abs(kept - tiny_hp.keep_prob) < 0.03

    sg = tutorial.build_tutorial_graph(tiny_hp, with_masks=True)
    with sg.graph.as_default():
        s = v1.Session()
        s.run(sg.init)
        for var, value in zip(sg.g_params + sg.d_params, start):
            var.load(value, s)
        feed = {sg.x_data: x_real, sg.z_prior: z, sg.keep_prob: tiny_hp.keep_prob,
                sg.masks[0]: dm[0], sg.masks[1]: dm[1]}
        _, tut_d = s.run([sg.d_trainer, sg.d_loss], feed)
        # G update: the real half's masks do not matter (sliced away).
        feed[sg.masks[0]] = np.concatenate([np.ones_like(gm[0]), gm[0]])
        feed[sg.masks[1]] = np.concatenate([np.ones_like(gm[1]), gm[1]])
        _, tut_g = s.run([sg.g_trainer, sg.g_loss], feed)
        tut_after = s.run(sg.g_params + sg.d_params)
        tut_slots = _read_vars(s, sg.graph, names)

    assert d_loss == pytest.approx(tut_d.mean(), rel=1e-5)
    assert g_loss == pytest.approx(tut_g.mean(), rel=1e-5)
    for a, b, s0 in zip(after, tut_after, start):
        assert not np.array_equal(a, s0)  # the step moved every variable
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for name in slots:
        np.testing.assert_allclose(slots[name], tut_slots[name], rtol=1e-5, atol=1e-9)
    # Both updates advance the shared beta powers: 0.9 ** 3 after one
    # iteration (it starts at 0.9).
    assert slots["beta1_power"] == pytest.approx(0.9 ** 3)


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    # --recipe improved's options that act within a step (and its average)
    dict(leaky_relu=0.2, label_smoothing=0.1, beta1=0.5, learning_rate=2e-4,
         g_average=0.999),
    # the newer options: separate rates, beta2, R1, and a rate late in its decay
    dict(leaky_relu=0.2, d_learning_rate=3e-3, g_learning_rate=1e-3, beta2=0.99,
         r1=2.0, lr_decay=0.5, g_average=0.9),
], ids=["improved", "rates-beta2-r1-decay"])
@pytest.mark.parametrize("xla", [False, True], ids=["kernels", "xla"])
def test_a_step_with_the_recipes_options_equals_the_tutorials_graphs(
        tiny_hp, fake_images, options, xla):
    """As the test above, with the options: the tutorial's graph built its
    way with the same options gives the same losses, weights, Adam slots and
    average after one step (also as one XLA program)."""
    hp = tiny_hp._replace(seed=11, max_epoch=2, xla=xla, **options)
    tg = build_train_graph(hp, len(fake_images))
    it = 13  # of 2 x 8 iterations: a decaying rate is at 3 / 8 of its value
    sess = graph_session(tg, fake_images)
    start = sess.run(tg.g_params + tg.d_params)
    t = tg.inner
    _, d_loss, g_loss, x_real, z, dm, gm = sess.run(
        [tg.train_op, tg.d_loss, tg.g_loss, t.x_real, t.z,
         t.d_masks, t.g_masks], {tg.iteration: it})
    names = [v.op.name for v in tg.g_params + tg.d_params]
    names += ["g_w3/Adam", "d_w1/Adam_1", "beta1_power", "beta2_power"]
    names += [n + checkpoints.AVERAGE_SUFFIX for n in ("g_w1", "g_b3")]
    after = _read_vars(sess, tg.graph, names)
    scale = 3 / 8 if hp.lr_decay else 1.0
    rates = [(r or hp.learning_rate) * scale
             for r in (hp.d_learning_rate, hp.g_learning_rate)]

    dm, gm = [[(m > 0).astype(np.float32) for m in ms] for ms in (dm, gm)]
    sg = tutorial.build_tutorial_graph(hp, with_masks=True)
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
        _, tut_d = s.run([sg.d_trainer, sg.d_loss], feed)
        feed[sg.masks[0]] = np.concatenate([np.ones_like(gm[0]), gm[0]])
        feed[sg.masks[1]] = np.concatenate([np.ones_like(gm[1]), gm[1]])
        feed[sg.learning_rate] = rates[1]
        _, tut_g = s.run([sg.g_trainer, sg.g_loss], feed)
        s.run(sg.g_average)
        tut_after = _read_vars(s, sg.graph, names)

    assert d_loss == pytest.approx(tut_d.mean(), rel=1e-5)
    assert g_loss == pytest.approx(tut_g.mean(), rel=1e-5)
    for name in names:
        _assert_step_close(after[name], tut_after[name], max(rates), xla, name=name)
    moved = [n for n, s0 in zip(names, start) if not np.array_equal(after[n], s0)]
    assert len(moved) == 12  # the step moved every weight
