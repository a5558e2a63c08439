"""The 8x8 sample grids."""

import os

import numpy as np
from skimage.io import imread

from gan_mnist.rundir import grid


def test_pixels_map_from_minus_one_one_to_bytes_the_tutorials_way():
    x = np.array([-1.0, -0.5, 0.0, 0.999, 1.0, 3.0, -7.0], np.float32)
    assert grid.to_uint8(x).tolist() == [0, 63, 127, 254, 255, 255, 0]


def test_grid_places_digits_row_by_row_with_gaps():
    images = np.stack([np.full(784, -1 + 2 * i / 100, np.float32) for i in range(70)])
    g = grid.make_grid(images)
    assert g.shape == (259, 259) and g.dtype == np.uint8
    step = 28 + 5
    for i in (0, 1, 7, 8, 63):
        r, c = divmod(i, 8)
        cell = g[r * step:r * step + 28, c * step:c * step + 28]
        assert np.all(cell == grid.to_uint8(images[i, 0]))
    assert not g[28:33, :].any() and not g[:, 28:33].any()  # black gaps


def test_fewer_images_leave_cells_black():
    g = grid.make_grid(np.ones((3, 28, 28), np.float32))
    assert g[:28, :28].min() == 255 and not g[33:, :].any()


def test_saved_grid_is_a_grayscale_jpeg(tmp_path):
    path = str(tmp_path / "sample0.jpg")
    x = np.random.default_rng(0).uniform(-1, 1, (64, 784)).astype(np.float32)
    g = grid.save_grid(path, x)
    back = imread(path)
    assert back.shape == (259, 259) and np.abs(back.astype(int) - g).mean() < 20
    assert os.listdir(tmp_path) == ["sample0.jpg"]
