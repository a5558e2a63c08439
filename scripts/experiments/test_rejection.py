"""rejection.py: its D is the package's D, and it keeps the samples D likes."""

import io
import os

import numpy as np
import pytest

import rejection
from gan_mnist.config import HParams

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run with every option rejection.py must follow: leaky relu,
    D's own widths, the minibatch feature and spectral normalisation."""
    folder = tmp_path_factory.mktemp("drs") / "run"
    hp = HParams(batch_size=32, h1_size=32, h2_size=64, z_size=16, seed=7,
                 learning_rate=1e-3, data_dir=os.path.join(ROOT, "MNIST_data"),
                 output=str(folder), limit=256, max_epoch=1, leaky_relu=0.2,
                 d_h1_size=24, d_h2_size=40, mbstd=True, spectral_norm=True)
    from gan_mnist.rundir import checkpoints
    from gan_mnist.training import loop, preflight
    loop.train(preflight.prepare(hp, False, False), out=io.StringIO())
    return hp, checkpoints.find(str(folder))


def test_its_logits_are_the_package_discriminator_s(trained):
    hp, prefix = trained
    from gan_mnist._tf import session, tf, v1
    from gan_mnist.graph import model
    reader = tf.train.load_checkpoint(prefix)
    x = np.random.default_rng(0).uniform(-1, 1, (2 * hp.batch_size, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        raw = [tf.constant(reader.get_tensor(n)) for n in
               ["d_w1", "d_b1", "d_w2", "d_b2", "d_w3", "d_b3", "d_w_mbstd"]]
        for i, name in zip((0, 2, 4), ("d_w1", "d_w2", "d_w3")):
            raw[i], _ = model.spectral_normalize(
                raw[i], tf.constant(reader.get_tensor(name + "/sn_u")))
        # D on one batch of fakes at a time: one minibatch group each
        out = [model.discriminator(tf.constant(x[i:i + hp.batch_size]), raw,
                                   leak=hp.leaky_relu, groups=1)
               for i in range(0, len(x), hp.batch_size)]
        want = np.concatenate(session(graph).run(out))[:, 0]
    got = rejection.logits(rejection.d_weights(prefix, hp), x, hp)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert np.std(got) > 0  # the check would pass for a constant D otherwise


def test_rejection_keeps_fewer_samples_of_higher_logit(trained):
    hp, prefix = trained
    from gan_mnist.sampling.generator import Generator
    gen = Generator.from_checkpoint(prefix)
    ws = rejection.d_weights(prefix, hp)
    rng = np.random.default_rng(1)
    x, rate = rejection.rejection_sample(gen, ws, hp, 2000, 80, rng)
    assert x.shape == (2000, 784) and 0 < rate < 1
    plain = gen(np.random.default_rng(2).standard_normal((2000, hp.z_size)).astype(np.float32))
    assert rejection.logits(ws, x, hp).mean() > rejection.logits(ws, plain, hp).mean()
