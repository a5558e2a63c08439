"""Discriminator rejection sampling (Azadi et al. 2019): G's samples,
filtered by the D it was trained against (``--rejection P``).

At D's optimum D(x) / (1 - D(x)) = p_data(x) / p_G(x), so exp(D's logit)
says how much likelier an image is under the data than under G. Each
sample is kept with probability sigmoid(F(x) - gamma), where

    F(x) = l - l* - log(1 - exp(l - l* - eps)),

l is its logit, l* the largest logit seen (from a burn-in of BURN_IN
samples, raised as larger ones come) and gamma the P-th percentile of F
over the burn-in: P = 50 keeps 42-51% of the draws of the runs in
docs/results.md, a higher P fewer. D runs without dropout, on batches of
fakes alone (as D sees G's images in training; this matters with --mbstd).
"""

import json
import os

import numpy as np

from ..errors import UsageError
from ..meter import SILENT

D_NAMES = ("d_w1", "d_b1", "d_w2", "d_b2", "d_w3", "d_b3")
MBSTD = "d_w_mbstd"
BURN_IN = 10000  # samples that set l* and gamma
EPS = 1e-6


class Discriminator:
    """D's logit in numpy: images (n, 784) in [-1, 1] -> (n,) unbounded.

    ``weights``: {name: float32 array} for D_NAMES (as D uses them: divided
    by their largest singular value for --spectral-norm), plus MBSTD for
    --mbstd; ``leak``: the slope of leaky relu (0: relu); ``group``: the
    batch of fakes over which the minibatch deviation is taken."""

    def __init__(self, weights, leak=0.0, group=256):
        self.w = [np.asarray(weights[n], np.float32) for n in D_NAMES]
        self.mbstd = (np.asarray(weights[MBSTD], np.float32)
                      if MBSTD in weights else None)
        self.leak, self.group = float(leak), int(group)

    def _act(self, h):
        return np.where(h > 0, h, self.leak * h)

    def logits(self, x):
        w1, b1, w2, b2, w3, b3 = self.w
        out = []
        for i in range(0, len(x), self.group):
            h2 = self._act(self._act(x[i:i + self.group] @ w1 + b1) @ w2 + b2)
            o = h2 @ w3
            if self.mbstd is not None:  # this group's mean deviation
                o = o + np.mean(np.sqrt(np.var(h2, axis=0) + 1e-8)) * self.mbstd
            out.append((o + b3)[:, 0])
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def as_arrays(self):
        """{name: array} and the settings: what the pretrained file keeps."""
        arrays = dict(zip(D_NAMES, self.w))
        if self.mbstd is not None:
            arrays[MBSTD] = self.mbstd
        return arrays, {"leaky_relu": self.leak, "group": self.group}


def _unit(v):
    return v / np.sqrt(np.sum(v * v, axis=1, keepdims=True) + 1e-12)


def sigma(w, u):
    """One power iteration's estimate of ``w``'s largest singular value from
    the unit row ``u`` (1, out), as graph.model.spectral_normalize makes it."""
    v = _unit(u @ w.T)
    u_next = _unit(v @ w)
    return float(np.sum((v @ w) * u_next))


def from_checkpoint(prefix):
    """The Discriminator of checkpoint ``prefix``, with the settings of its
    run's config.json (the tutorial's without one)."""
    from .._tf import tf
    from ..config import HParams
    from ..rundir import config_json
    from ..rundir.checkpoints import unreadable
    hp = config_json.load(os.path.dirname(prefix) or ".") or HParams()
    try:
        reader = tf.train.load_checkpoint(prefix)
        weights = {n: reader.get_tensor(n) for n in D_NAMES}
        for n in ("d_w1", "d_w2", "d_w3") if hp.spectral_norm else ():
            weights[n] = weights[n] / sigma(weights[n], reader.get_tensor(n + "/sn_u"))
        if hp.mbstd:
            weights[MBSTD] = reader.get_tensor(MBSTD)
    except Exception as e:  # a variable missing, or a checksum that does not match
        raise unreadable(prefix, e) from None
    return Discriminator(weights, hp.leaky_relu, hp.batch_size)


def from_file(z, path):
    """The Discriminator kept in an opened npz ``z`` (the pretrained file), or
    a UsageError naming ``path`` when it keeps none."""
    if not set(D_NAMES) <= set(z.files) or "discriminator" not in z.files:
        raise UsageError(f"{path}: keeps no discriminator, which --rejection "
                         "needs; remake it with scripts/shipped/make_pretrained.py")
    settings = json.loads(str(z["discriminator"]))
    return Discriminator({n: z[n] for n in z.files if n.startswith("d_")},
                         settings["leaky_relu"], settings["group"])


def check_percentile(value, flag="--rejection"):
    if not 0 <= value < 100:
        raise UsageError(f"{flag} {value:g}: must be a percentile, 0 <= P < 100")
    return value


def score(logits, l_max):
    """F(x) of D's ``logits`` with the largest logit ``l_max`` (see above)."""
    d = logits - l_max
    return d - np.log1p(-np.exp(np.minimum(d - EPS, -EPS)))


def keep_probability(logits, l_max, gamma):
    """sigmoid(F(x) - gamma): the chance that a sample of these logits is kept."""
    return 1.0 / (1.0 + np.exp(gamma - score(logits, l_max)))


def calibrate(draw, disc, percentile):
    """(l*, gamma) from D's logits on ``draw(BURN_IN)``: the largest logit,
    and the ``percentile``-th percentile of F over the burn-in."""
    logits = disc.logits(draw(BURN_IN))
    l_max = float(logits.max())
    return l_max, float(np.percentile(score(logits, l_max), percentile))


def _draws(gen, rng):
    z_size = gen.hp.z_size
    return lambda n: gen(rng.standard_normal((n, z_size)).astype(np.float32))


def sample(gen, disc, num, seed, percentile, meter=SILENT):
    """(num images (num, 784) in (-1, 1), the share of draws kept) from
    Generator ``gen`` filtered by Discriminator ``disc``; all randomness
    (the burn-in, the noise and the acceptance draws) from ``seed``."""
    _, images, rate = _sample(gen, disc, num, seed, percentile, meter)
    return images, rate


def sample_noise(gen, disc, num, seed, percentile, meter=SILENT):
    """(the noise (num, Z) of ``sample``'s images, the share of draws kept):
    the same draws, for a sampler that goes on from the noise (refine)."""
    z, _, rate = _sample(gen, disc, num, seed, percentile, meter)
    return z, rate


def _sample(gen, disc, num, seed, percentile, meter):
    rng = np.random.default_rng([seed, 1])
    draw = _draws(gen, rng)
    l_max, gamma = calibrate(draw, disc, percentile)
    noise, kept, drawn, have, accepted = [], [], 0, 0, 0
    with meter.task(f"rejection sampling {num} images", num) as tick:
        while have < num:
            z = rng.standard_normal((max(1000, 2 * (num - have)), gen.hp.z_size))
            z = z.astype(np.float32)
            x = gen(z)
            logits = disc.logits(x)
            l_max = max(l_max, float(logits.max()))
            keep = rng.random(len(x)) < keep_probability(logits, l_max, gamma)
            noise.append(z[keep])
            kept.append(x[keep])
            drawn += len(x)
            accepted += int(keep.sum())
            got = min(int(keep.sum()), num - have)
            have += got
            tick(got)
    return (np.concatenate(noise)[:num], np.concatenate(kept)[:num],
            accepted / drawn)


def calibrate_with_seed(gen, disc, seed, percentile):
    """(l*, gamma) from the same burn-in as ``sample(gen, disc, _, seed,
    percentile)`` draws first: what an export fixes for its users."""
    return calibrate(_draws(gen, np.random.default_rng([seed, 1])), disc, percentile)


def describe(percentile, kept):
    """How the images were drawn, as the commands print it."""
    return (f"drawn with discriminator rejection sampling (gamma at percentile "
            f"{percentile:g}; {kept:.1%} of the draws kept)")
