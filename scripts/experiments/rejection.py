"""Does discriminator rejection sampling (Azadi et al. 2019) pay on a run?

    python scripts/experiments/rejection.py --output RUN --num 10000 --gammas 50 80 95

A trained D estimates how much likelier an image is under the data than
under G: at D's optimum, D(x) / (1 - D(x)) = p_data(x) / p_G(x), so
exp(logit) is that ratio. DRS keeps each sample with probability
sigmoid(F(x)), F(x) = l - l* - log(1 - exp(l - l* - eps)) - gamma, where l
is the sample's logit, l* the largest logit seen (from a burn-in of --num
samples, raised as larger ones appear) and gamma shifts the acceptance:
the paper sets it to a percentile of F over the burn-in, here each of
``--gammas``. For G's moving average (what generate and evaluate use) and
for G's own weights, it prints the figures of ``--num`` plain samples and
of ``--num`` accepted ones with their acceptance rate, and the CPU.

The run's D is read from its newest checkpoint with the run's settings
(leaky relu, D's widths, --mbstd over groups of --batch-size fakes, and
--spectral-norm's division by each weight's estimated largest singular
value, from the stored vector as in training). No dropout, as at
evaluation. One sample's logit is computed in a batch of fakes only, as D
sees G's images in training.
"""

import argparse

import numpy as np

from gan_mnist.cpu import cpu_name
from gan_mnist.measure.figures import FIGURES, TERMS
from gan_mnist.rundir import checkpoints, config_json
from gan_mnist.sampling.generator import Generator

EPS = 1e-6


def d_weights(prefix, hp):
    """D's weights as D uses them: [w1, b1, w2, b2, w3, b3] (+ the
    minibatch weight), with --spectral-norm the three w divided by sigma."""
    from gan_mnist._tf import tf
    reader = tf.train.load_checkpoint(prefix)
    names = ["d_w1", "d_b1", "d_w2", "d_b2", "d_w3", "d_b3"]
    ws = [reader.get_tensor(n) for n in names]
    if hp.spectral_norm:
        for i in (0, 2, 4):
            ws[i] = ws[i] / sigma(ws[i], reader.get_tensor(names[i] + "/sn_u"))
    if hp.mbstd:
        ws.append(reader.get_tensor("d_w_mbstd"))
    return ws


def _unit(v):
    return v / np.sqrt(np.sum(v * v, axis=1, keepdims=True) + 1e-12)


def sigma(w, u):
    """One power iteration's estimate of w's largest singular value from the
    unit row ``u`` (1, out), as model.spectral_normalize computes it."""
    v = _unit(u @ w.T)
    u_next = _unit(v @ w)
    return float(np.sum((v @ w) * u_next))


def logits(ws, x, hp):
    """D's logits (n,) of images (n, 784) in [-1, 1], in groups of batch_size."""
    leak = hp.leaky_relu

    def act(h):
        return np.where(h > 0, h, leak * h)

    out = []
    for i in range(0, len(x), hp.batch_size):
        h1 = act(x[i:i + hp.batch_size] @ ws[0] + ws[1])
        h2 = act(h1 @ ws[2] + ws[3])
        o = h2 @ ws[4]
        if len(ws) > 6:  # the minibatch deviation: one group, these fakes
            dev = np.mean(np.sqrt(np.var(h2, axis=0) + 1e-8))
            o = o + dev * ws[6]
        out.append((o + ws[5])[:, 0])
    return np.concatenate(out)


def rejection_sample(gen, ws, hp, num, percentile, rng):
    """(num accepted images, acceptance rate)."""
    burn = gen(rng.standard_normal((num, hp.z_size)).astype(np.float32))
    l_max = logits(ws, burn, hp).max()

    def f(lg):
        d = lg - l_max
        return d - np.log1p(-np.exp(np.minimum(d - EPS, -EPS)))

    gamma = np.percentile(f(logits(ws, burn, hp)), percentile)
    kept, drawn = [], 0
    while sum(len(k) for k in kept) < num:
        x = gen(rng.standard_normal((num, hp.z_size)).astype(np.float32))
        lg = logits(ws, x, hp)
        l_max = max(l_max, lg.max())
        p = 1.0 / (1.0 + np.exp(-(f(lg) - gamma)))
        kept.append(x[rng.random(len(x)) < p])
        drawn += len(x)
    accepted = sum(len(k) for k in kept)
    return np.concatenate(kept)[:num], accepted / drawn


def main(argv=None):
    from gan_mnist.measure import scoring
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", required=True, help="the run's folder")
    p.add_argument("--num", type=int, default=10000)
    p.add_argument("--gammas", type=float, nargs="+", default=[50.0, 80.0, 95.0],
                   help="percentiles of F over the burn-in to use as gamma")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    hp = config_json.load(args.output)
    prefix = checkpoints.find(args.output)
    ws = d_weights(prefix, hp)
    keys = FIGURES + TERMS
    print(f"{prefix} on {cpu_name()}")
    print("| G | sampling | acceptance | " + " | ".join(keys) + " |")
    print("|" + " --- |" * (3 + len(keys)))
    for average in (True, False):
        gen = Generator.from_checkpoint(prefix, average)
        name = "average" if gen.averaged else "own weights"
        rng = np.random.default_rng(args.seed)
        plain = gen(rng.standard_normal((args.num, hp.z_size)).astype(np.float32))
        rows = [("plain", 1.0, plain)]
        for g in args.gammas:
            x, rate = rejection_sample(gen, ws, hp, args.num, g,
                                       np.random.default_rng(args.seed))
            rows.append((f"DRS, gamma at percentile {g:g}", rate, x))
        for label, rate, x in rows:
            fig = scoring.score_images(x)
            print(f"| {name} | {label} | {rate:.3f} | "
                  + " | ".join(f"{fig[k]:.4g}" for k in keys) + " |", flush=True)
        gen.close()
        if not gen.averaged:
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
