"""The input gradients of the step's matmuls, timed in each form.

    python scripts/matmul_forms.py                    # batch 32 (the recipes)
    python scripts/matmul_forms.py --batch-size 256   # the tutorial's batch

For y = x . w with x (n, K) and w (K, N), the backward pass needs
dx = dy . w^T. TensorFlow writes it so; ``gan_mnist.gradients`` writes it
as (w . dy^T)^T for a weight with both sides at least ``SWAP_MIN`` when n
is at most ``SWAP_MAX_ROWS``. For every weight of the two networks, at
every row count n that the step differentiates it at (G: B; D: 2B in the
D update, B in the G update), this times each form on its own
(``--chain`` products per run call, each on its own operands, so that no
cache holds them all), alternating the forms over ``--rounds`` rounds,
and prints ms per product (the median round), the ratio to TensorFlow's
form, whether the result is bit for bit TensorFlow's, and which form the
package takes.
"""

import argparse
import os
import statistics
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gan_mnist import config  # noqa: E402
from timing import alternating, cpu_name, timed  # noqa: E402

FORMS = {  # name -> dx from (dy, w)
    "dy . w^T": lambda tf, dy, w: tf.matmul(dy, w, transpose_b=True),
    "(w . dy^T)^T": lambda tf, dy, w: tf.transpose(tf.matmul(w, dy, transpose_b=True)),
}


def cases(hp):
    """[(weight name, (K, N), n)]: each weight whose input gradient the step
    computes, at each row count it computes it at."""
    from gan_mnist import model
    g, d = model.layer_shapes(hp)
    B = hp.batch_size

    def weights(layers):  # (name, shape) of w1, w2, w3, without the biases
        return [(name, tuple(shape)) for name, shape in layers[::2]]

    return ([(name, shape, B) for name, shape in weights(g)[1:]]         # G: z is not learnt
            + [(name, shape, 2 * B) for name, shape in weights(d)[1:]]  # D update: nor images
            + [(name, shape, B) for name, shape in weights(d)])         # G update, through D


def package_form(shape, rows):
    """The form ``gan_mnist.gradients`` takes for a weight of ``shape`` at
    ``rows`` rows."""
    from gan_mnist import gradients
    return "(w . dy^T)^T" if gradients.swaps(list(shape), rows) else "dy . w^T"


def measure(hp, chain, rounds, calls):
    """Yields (case, {form: ms per product}, {form: bit for bit
    TensorFlow's}) for each case in turn."""
    from gan_mnist._tf import tf, v1
    rng = np.random.default_rng(0)
    graph, runs = tf.Graph(), {}
    with graph.as_default():
        for case in cases(hp):
            _, (K, N), n = case
            dys = [tf.constant(rng.standard_normal((n, N)), tf.float32) for _ in range(chain)]
            ws = [v1.Variable(rng.standard_normal((K, N)).astype(np.float32)) for _ in range(chain)]
            for form, make in FORMS.items():
                outs = [make(tf, dy, w.read_value()) for dy, w in zip(dys, ws)]
                # a corner of each result is summed, so no product is pruned
                runs[case, form] = (outs[0], tf.add_n([o[0, 0] for o in outs]))
        sess = v1.Session(graph=graph)
        sess.run(v1.global_variables_initializer())
    for case in cases(hp):
        times = alternating(FORMS, rounds, lambda f: timed(
            lambda: sess.run(runs[case, f][1]), calls, rounds=1) / chain)
        values = {f: sess.run(runs[case, f][0]) for f in FORMS}
        yield (case, {f: statistics.median(t) * 1000 for f, t in times.items()},
               {f: np.array_equal(values[f], values["dy . w^T"]) for f in FORMS})
    sess.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=20, help="run calls per timing")
    p.add_argument("--chain", type=int, default=12, help="products per run call")
    args = p.parse_args(argv)
    hp = config.HParams(**dict(config.DEFAULTS, batch_size=args.batch_size))
    print(f"{cpu_name()}, {os.cpu_count()} cores; dx = dy . w^T at batch {hp.batch_size}, "
          "ms per product (median of rounds)")
    for (name, shape, n), ms, same in measure(hp, args.chain, args.rounds, args.calls):
        base, swapped = ms["dy . w^T"], ms["(w . dy^T)^T"]
        print(f"  {name} {shape[0]}x{shape[1]}, n = {n}: dy . w^T {base:.3f}   "
              f"(w . dy^T)^T {swapped:.3f} (x{base / swapped:.2f}"
              f"{'' if same['(w . dy^T)^T'] else ', not bit for bit'})"
              f"   -> package: {package_form(shape, n)}", flush=True)


if __name__ == "__main__":
    main()
