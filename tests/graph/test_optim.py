"""The learning rates and their decay."""

import numpy as np

from gan_mnist._tf import tf, v1
from gan_mnist.graph import optim


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
