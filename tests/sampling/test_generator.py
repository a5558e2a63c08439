"""Noise for the generator: interpolation walks."""

import numpy as np

from gan_mnist.sampling import generator


def test_interpolation_noise_walks_straight_lines():
    z = generator.interpolation_noise(3, 5, 4, seed=1).reshape(3, 5, 4)
    np.testing.assert_allclose(z[:, 2], (z[:, 0] + z[:, 4]) / 2, atol=1e-6)
    assert not np.allclose(z[0, 0], z[1, 0])
