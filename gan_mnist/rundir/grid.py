"""Sample grids: up to 8x8 generated digits in one grayscale image."""

import math

import numpy as np

from ..config import GRID_PAD, GRID_SIZE
from ..fileio import atomic_path


def to_uint8(images):
    """Generator output in [-1, 1], any shape -> uint8 0..255, the tutorial's way.

    ``(0.5 * x + 0.5) * 255`` truncated to an integer, as the tutorial does;
    values outside [-1, 1] are clipped first (tanh output never is, but
    images from elsewhere may be).
    """
    x = np.clip(np.asarray(images, dtype=np.float32), -1.0, 1.0)
    return ((0.5 * x + 0.5) * 255.0).astype(np.uint8)


def grid_shape(n, cols=None):
    """(rows, cols) of a grid for n images: square-ish unless cols is given."""
    cols = cols or math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def make_grid(images, grid_size=GRID_SIZE, pad=GRID_PAD):
    """Lay out images row by row in a grid with black gaps.

    Args:
      images: (n, 784) or (n, 28, 28) float in [-1, 1]; the first
        rows*cols are used, missing cells stay black.
      grid_size: (rows, cols), 8x8 by default.
      pad: pixels between neighbouring digits.
    Returns:
      uint8 array (rows*28 + (rows-1)*pad, cols*28 + (cols-1)*pad):
      259x259 for the defaults.
    """
    rows, cols = grid_size
    digits = to_uint8(np.reshape(images, (-1, 28, 28))[: rows * cols])
    grid = np.zeros((rows * 28 + (rows - 1) * pad, cols * 28 + (cols - 1) * pad),
                    np.uint8)
    for i, digit in enumerate(digits):
        top, left = (i // cols) * (28 + pad), (i % cols) * (28 + pad)
        grid[top:top + 28, left:left + 28] = digit
    return grid


def save_image(path, pixels):
    """Write a uint8 grayscale array as an image (format from the extension:
    .jpg, .png, ...), whole or not at all."""
    from skimage.io import imsave
    with atomic_path(path) as tmp:
        imsave(tmp, pixels, check_contrast=False)


def save_grid(path, images, grid_size=GRID_SIZE, pad=GRID_PAD):
    """``make_grid`` then ``save_image``; returns the grid array."""
    grid = make_grid(images, grid_size, pad)
    save_image(path, grid)
    return grid
