"""Images from a trained generator.

``Generator`` runs G alone, in a graph of its own, from the six weights
that ``checkpoints.read_generator`` reads out of any checkpoint of this
package or of the tutorial's script (the layer sizes come from the
weights, so no config.json is needed). A run trained with ``--g-average`` keeps a moving
average of G's weights beside them; it is the generator the run's grids
show, so it is the one read unless ``average=False``.
"""

import math

import numpy as np

from .. import streams
from ..config import IMAGE_SIZE, HParams
from ..meter import SILENT
from ..rundir import checkpoints


class Generator:
    """G with fixed weights: ``gen(z)`` maps (n, Z) float32 noise to
    (n, 784) float32 images in (-1, 1).

    ``weights`` is {name: array} for ``checkpoints.G_NAMES``; ``averaged``
    says whether they are a moving average (for messages only)."""

    def __init__(self, weights, averaged=False):
        from .._tf import session, tf, v1
        from ..graph import model
        z_size, h1_size = weights["g_w1"].shape
        self.hp = HParams(z_size=int(z_size), h1_size=int(h1_size),
                          h2_size=int(weights["g_w2"].shape[1]))
        self.averaged = averaged
        graph = tf.Graph()
        with graph.as_default():
            g_params, _ = model.make_params(self.hp, seed=0)
            self.z = v1.placeholder(tf.float32, [None, self.hp.z_size], name="z_prior")
            self.x = model.generator(self.z, g_params)
            self.sess = session(graph)
            for p, name in zip(g_params, checkpoints.G_NAMES):
                p.load(weights[name], self.sess)

    @classmethod
    def from_checkpoint(cls, prefix, average=True):
        """G from checkpoint ``prefix``: its average of G's weights when it
        has one and ``average``, else G's own weights."""
        return cls(*checkpoints.read_generator(prefix, average))

    def __call__(self, z, batch=1000, tick=None):
        """Images of noise ``z`` (n, Z), ``batch`` rows a run call;
        ``tick(rows)`` after each (progress)."""
        out = []
        for i in range(0, len(z), batch):
            out.append(self.sess.run(self.x, {self.z: z[i:i + batch]}))
            if tick:
                tick(len(out[-1]))
        return np.concatenate(out) if out else np.zeros((0, IMAGE_SIZE), np.float32)

    def close(self):
        self.sess.close()


def interpolation_noise(rows, steps, z_size, seed):
    """(rows * steps, z_size): each row walks in a straight line from one
    random point of the latent space to another, in ``steps`` steps."""
    ends = streams.noise(2 * rows, z_size, seed).reshape(rows, 2, z_size)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    walk = ends[:, :1] * (1 - t) + ends[:, 1:] * t
    return walk.reshape(rows * steps, z_size).astype(np.float32)


def generate(gen, num, seed, interpolate=False, steps=8, meter=SILENT):
    """(num, 784) images in (-1, 1) from Generator ``gen`` and noise seed
    ``seed``; with ``interpolate``, ceil(num / steps) rows of ``steps``
    images each, every row a straight walk through the latent space.
    ``meter`` shows the progress."""
    if interpolate:
        z = interpolation_noise(math.ceil(num / steps), steps, gen.hp.z_size, seed)
    else:
        z = streams.noise(num, gen.hp.z_size, seed)
    with meter.task(f"generating {len(z)} images", len(z)) as tick:
        return gen(z, tick=tick)


def check_weights(weights):
    """G's six weights ({name: array} for ``checkpoints.checkpoints.G_NAMES``) as
    float32 arrays, after checking that they are all there, fit together
    (z -> h1 -> h2 -> 784) and are finite; ValueError names the first that
    does not."""
    missing = [n for n in checkpoints.G_NAMES if n not in weights]
    if missing:
        raise ValueError(f"the generator's weights lack {', '.join(missing)}")
    arrays = {n: np.asarray(weights[n], dtype=np.float32) for n in checkpoints.G_NAMES}
    w1, b1, w2, b2, w3, b3 = (arrays[n] for n in checkpoints.G_NAMES)
    if w1.ndim != 2 or w2.ndim != 2 or w3.ndim != 2:
        raise ValueError("g_w1, g_w2 and g_w3 must be matrices")
    z, h1 = w1.shape
    h2 = w2.shape[1]
    want = {"g_w1": (z, h1), "g_b1": (h1,), "g_w2": (h1, h2), "g_b2": (h2,),
            "g_w3": (h2, IMAGE_SIZE), "g_b3": (IMAGE_SIZE,)}
    for n in checkpoints.G_NAMES:
        if arrays[n].shape != want[n]:
            raise ValueError(f"{n} has shape {arrays[n].shape}, expected {want[n]}")
        if not np.all(np.isfinite(arrays[n])):
            raise ValueError(f"{n} holds NaN or infinite values")
    return arrays
