"""Discriminator-driven latent refinement (``--refine N``): each sample's
noise moved by N gradient steps before G draws it; G stays as it is.

G and the D it was trained against define an energy on the noise (Che et
al. 2020, "discriminator-driven latent sampling"):

    E(z) = |z|^2 / 2 - l(G(z)),

l D's logit. At D's optimum exp(-E) is proportional to the data's density
carried back to z: the prior term keeps z where G was trained, the logit
pulls it to where D finds G's images likelier to be real. Each step is
z <- z - (STEP / 2) dE/dz. The paper's chain adds Langevin noise,
sqrt(STEP) N(0, 1), each step; on a run of docs/results.md the noisy
chain stayed at FID 5.6-5.9 where 20-40 of these noise-free steps gave
4.4-4.5, so the steps here are noise-free (a descent on E, nearer the
modes: precision rises, recall falls).

D runs without dropout, on groups of ``Discriminator.group`` rows one
after another (the last group may be short), as ``rejection`` runs it, so
that its minibatch deviation (``--mbstd``) sees batches as in training.
"""

import numpy as np

from ..meter import SILENT
from . import rejection

STEP = 0.01       # eps: with it, 30 steps move |z| from 11.3 to 9.7
MAX_STEPS = 1000  # --refine's largest value
CHUNK = 1024      # rows a session call, rounded down to whole groups


def energy_gradient(z, g_params, d_params, leak=0.0, group=None):
    """Graph pieces for noise ``z`` (n, Z) float32: (images G(z) (n, 784) in
    (-1, 1), energies E(z) (n,), dE/dz (n, Z)).

    ``g_params``: G's six weights; ``d_params``: D's six, and a seventh for
    the minibatch deviation; ``leak``: D's leaky-relu slope; ``group``: rows
    per deviation group, n being a multiple of it or at most it (None: one
    group)."""
    from .._tf import tf
    from ..graph import model
    x = model.generator(z, g_params)
    groups = 1 if group is None else tf.maximum(1, tf.shape(z)[0] // group)
    logit = model.discriminator(x, d_params, leak=leak, groups=groups)[:, 0]
    energy = 0.5 * tf.reduce_sum(tf.square(z), 1) - logit
    return x, energy, tf.gradients(tf.reduce_sum(energy), z)[0]


def pieces(n, group, chunk=CHUNK):
    """[(start, stop)] covering range(n): whole groups of ``group`` rows, at
    most ``chunk`` rows (at least one group) each, then the short group."""
    per = group * max(1, chunk // group)
    whole = n - n % group
    out = [(i, min(i + per, whole)) for i in range(0, whole, per)]
    return out + ([(whole, n)] if whole < n else [])


class Refiner:
    """``refiner(z, steps)``: the images (n, 784) in (-1, 1) of noise ``z``
    (n, Z) float32 after ``steps`` steps on E; ``steps`` = 0 gives G(z).

    ``g_weights``: {name: array} for checkpoints.G_NAMES; ``disc``: the
    run's rejection.Discriminator."""

    def __init__(self, g_weights, disc):
        from .._tf import session, tf, v1
        from ..rundir import checkpoints
        arrays, _ = disc.as_arrays()
        names = rejection.D_NAMES + ((rejection.MBSTD,) if rejection.MBSTD in arrays else ())
        self.group = disc.group
        graph = tf.Graph()
        with graph.as_default():
            g = [tf.constant(np.asarray(g_weights[n], np.float32)) for n in checkpoints.G_NAMES]
            d = [tf.constant(arrays[n]) for n in names]
            self.z = v1.placeholder(tf.float32, [None, g[0].shape[0]], name="z")
            self.x, self.energy, self.grad = energy_gradient(
                self.z, g, d, disc.leak, self.group)
            self.sess = session(graph)

    def energies(self, z):
        """E(z) (n,) float32, by the groups that refining uses."""
        return np.concatenate([np.zeros(0, np.float32)]
                              + [self.sess.run(self.energy, {self.z: z[a:b]})
                                 for a, b in pieces(len(z), self.group)])

    def noise(self, z, steps, step=STEP, tick=None):
        """``z`` (n, Z) after ``steps`` steps on E (a new array);
        ``tick(rows)`` after each piece (progress)."""
        out = np.array(z, np.float32)
        for a, b in pieces(len(out), self.group):
            for _ in range(steps):
                out[a:b] -= np.float32(0.5 * step) * self.sess.run(self.grad, {self.z: out[a:b]})
            if tick:
                tick(b - a)
        return out

    def __call__(self, z, steps, step=STEP, meter=SILENT):
        with meter.task(f"refining {len(z)} images by {steps} steps", len(z)) as tick:
            z = self.noise(z, steps, step, tick)
        return np.concatenate([np.zeros((0, 784), np.float32)]
                              + [self.sess.run(self.x, {self.z: z[a:b]})
                                 for a, b in pieces(len(z), self.group)])

    def close(self):
        self.sess.close()


def check_steps(value, flag="--refine"):
    """``value`` as steps, or a UsageError naming ``flag``."""
    from ..errors import UsageError
    if not 1 <= value <= MAX_STEPS:
        raise UsageError(f"{flag} {value}: must be 1 to {MAX_STEPS} gradient steps "
                         "(30 with --rejection 50 is what docs/results.md measured best)")
    return value


def describe(steps):
    """How the images were drawn, as the commands print it."""
    return f"refined by {steps} gradient steps of the noise on D's energy (step {STEP:g})"
