"""Images from a trained generator, read straight from a checkpoint.

Only the generator's six variables are restored, and the layer sizes are read
from the checkpoint itself, so this works for any run of this package or of
the seed script, with or without its config.json. A run trained with
``--g-average`` keeps a moving average of G's weights beside them; it is the
generator the run's grids show, so it is the one restored.
"""

import os

import numpy as np

from . import rundir
from .config import HParams
from .errors import UsageError


def find_checkpoint(output=None, checkpoint=None):
    """The checkpoint prefix to use: ``checkpoint`` if given, else the newest
    in the run folder ``output``. Raises UsageError naming what is missing."""
    if checkpoint:
        if not os.path.exists(checkpoint + ".index"):
            raise UsageError(f"--checkpoint {checkpoint}: no {checkpoint}.index; "
                             "give a prefix such as output/model-500")
        return checkpoint
    prefix = rundir.latest_checkpoint(output)
    if prefix is None:
        raise UsageError(f"--output {output}: no checkpoint (model-N.index) there; "
                         "train first or pass --checkpoint")
    return prefix


def generator_sizes(prefix):
    """(HParams with the z/h1/h2 sizes of the checkpoint's generator, whether
    it holds an average of G's weights)."""
    from ._tf import tf
    from .model import AVERAGE_SUFFIX
    try:
        shapes = dict(tf.train.list_variables(prefix))
        z, h1 = shapes["g_w1"]
        _, h2 = shapes["g_w2"]
    except Exception:
        raise UsageError(f"checkpoint {prefix}: unreadable or without the "
                         "generator's variables g_w1, g_w2") from None
    averaged = "g_w1" + AVERAGE_SUFFIX in shapes
    return HParams(z_size=int(z), h1_size=int(h1), h2_size=int(h2)), averaged


class Generator:
    """G restored from a checkpoint: ``gen(z)`` maps (n, Z) noise to
    (n, 784) float32 images in (-1, 1). ``average=False`` takes G's own
    weights even when the checkpoint holds their average."""

    def __init__(self, prefix, average=True):
        from . import model
        from ._tf import session, tf, v1
        self.hp, self.averaged = generator_sizes(prefix)
        self.prefix = prefix
        self.averaged = self.averaged and average
        suffix = model.AVERAGE_SUFFIX if self.averaged else ""
        graph = tf.Graph()
        with graph.as_default():
            g_params, _ = model.make_params(self.hp, seed=0)
            self.z = v1.placeholder(tf.float32, [None, self.hp.z_size])
            self.x = model.generator(self.z, g_params)
            saver = v1.train.Saver({p.op.name + suffix: p for p in g_params})
            self.sess = session(graph)
            saver.restore(self.sess, prefix)

    def __call__(self, z, batch=1000):
        out = [self.sess.run(self.x, {self.z: z[i:i + batch]})
               for i in range(0, len(z), batch)]
        return np.concatenate(out) if out else np.zeros((0, 784), np.float32)

    def close(self):
        self.sess.close()


def noise(n, z_size, seed):
    """(n, z_size) float32 standard normal noise from ``seed`` (an int, or a
    list of ints such as [run seed, stream, epoch])."""
    return np.random.default_rng(seed).standard_normal((n, z_size)).astype(np.float32)


def interpolation_noise(rows, steps, z_size, seed):
    """(rows * steps, z_size): each row walks in a straight line from one
    random point of the latent space to another, in ``steps`` steps."""
    ends = noise(2 * rows, z_size, seed).reshape(rows, 2, z_size)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    walk = ends[:, :1] * (1 - t) + ends[:, 1:] * t
    return walk.reshape(rows * steps, z_size).astype(np.float32)
