import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gan_mnist.config import HParams  # noqa: E402


@pytest.fixture
def tiny_hp():
    """Small sizes so a graph builds and steps in milliseconds."""
    return HParams(batch_size=8, h1_size=16, h2_size=32, z_size=8,
                   learning_rate=1e-3, keep_prob=0.7, seed=3)


@pytest.fixture
def fake_images():
    """64 random uint8 'images', (64, 784)."""
    return np.random.default_rng(0).integers(0, 256, (64, 784), dtype=np.uint8)
