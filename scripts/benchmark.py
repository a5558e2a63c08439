"""Training throughput and memory: the package against the seed's loop.

    python scripts/benchmark.py --batch-size 256

In one process, after a warm-up, it alternates timed blocks of

  package  -- gan_mnist's training step: data and noise drawn in the graph,
              one run call per iteration, G update through D on G(z) only;
  seed     -- a loop written the tutorial's way around its graph
              (gan_mnist.reference): per-step feed_dict of float64-normalised
              numpy batches, numpy noise, one run call for the D update and
              one for the G update, D over the concatenated batch in both;

so that both sides meet the same machine load. It reports iterations/s (the
median block), the ratio (the median of the rounds' package/seed ratios),
the useful GFLOP/s as a share of a TensorFlow matmul peak measured here at
the same shapes, and the peak resident memory
of a whole training process of each kind above that of a process that only
imports TensorFlow (each measured in a child process).

Useful FLOP per iteration, for B images per batch, sizes Z, H1, H2 and
P = 784 pixels (a multiply-add counts 2):

    G  = Z*H1 + H1*H2 + H2*P         generator multiply-adds per image
    Ga = H1*H2 + H2*P                G's backward to its hidden layers
    D  = P*H2 + H2*H1 + H1           discriminator multiply-adds per image
    Da = H2*H1 + H1                  D's backward to its hidden layers
    FLOP = 2 * B * (2*G + Ga + 6*D + 2*Da)

(G forward + backward; D forward and weight gradients over 2B rows; D
forward and input gradients over B rows for the G update.) At the defaults
that is 10.24 MFLOP per image, 2.62 GFLOP per iteration at B = 256. The
seed's graph does 13.5 MFLOP per image of work for the same result.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gan_mnist.config import HParams, IMAGE_SIZE  # noqa: E402


def useful_flop(hp):
    """FLOP of one training iteration's necessary work (see the docstring)."""
    P = IMAGE_SIZE
    g = hp.z_size * hp.h1_size + hp.h1_size * hp.h2_size + hp.h2_size * P
    ga = hp.h1_size * hp.h2_size + hp.h2_size * P
    d = P * hp.h2_size + hp.h2_size * hp.h1_size + hp.h1_size
    da = hp.h2_size * hp.h1_size + hp.h1_size
    return 2 * hp.batch_size * (2 * g + ga + 6 * d + 2 * da)


def load_train():
    from gan_mnist.data import load_mnist
    images, _ = load_mnist(os.path.join(ROOT, "MNIST_data"), "train")
    return images.reshape(len(images), -1)


class PackageLoop:
    """The package's training iteration, exactly as train.py runs it."""

    def __init__(self, hp, images):
        from gan_mnist._tf import session
        from gan_mnist.train_graph import build_train_graph
        self.tg = build_train_graph(hp._replace(seed=1), len(images))
        self.sess = session(self.tg.graph)
        self.sess.run(self.tg.init)
        self.sess.run(self.tg.data_init, {
            self.tg.images: images,
            self.tg.order: np.arange(len(images), dtype=np.int32)})
        self.fetches = [self.tg.train_op, self.tg.d_loss, self.tg.g_loss,
                        self.tg.d_real, self.tg.d_fake]
        self.i = 0

    def run(self, n):
        for _ in range(n):
            self.sess.run(self.fetches, {self.tg.iteration: self.i})
            self.i += 1


class SeedLoop:
    """The tutorial's loop: numpy batches and noise fed every step."""

    def __init__(self, hp, images):
        from gan_mnist import reference
        from gan_mnist._tf import session
        self.hp = hp
        self.sg = reference.build_seed_graph(hp)
        self.sess = session(self.sg.graph)
        self.sess.run(self.sg.init)
        self.data = images.astype(np.float64)  # the tutorial's float copy
        self.iters = len(images) // hp.batch_size
        self.j = 0

    def run(self, n):
        B, sg = self.hp.batch_size, self.sg
        for _ in range(n):
            j = self.j % self.iters
            x = self.data[j * B:(j + 1) * B] / 255.0
            x = 2 * x - 1
            z = np.random.normal(0, 1, size=(B, self.hp.z_size)).astype(np.float32)
            feed = {sg.x_data: x, sg.z_prior: z,
                    sg.keep_prob: np.float32(self.hp.keep_prob)}
            self.sess.run(sg.d_trainer, feed)
            self.sess.run(sg.g_trainer, feed)
            self.j += 1


def matmul_peak(hp, repeats=20):
    """GFLOP/s of TensorFlow float32 matmuls at the shapes of one iteration
    (forward, input-gradient and weight-gradient products of both networks),
    each product run alone as in the training step's chain of dependent ops;
    the best of ``repeats`` timings of each."""
    from gan_mnist._tf import session, tf, v1
    B, P = hp.batch_size, IMAGE_SIZE
    layers = [(B, hp.z_size, hp.h1_size), (B, hp.h1_size, hp.h2_size),
              (B, hp.h2_size, P), (2 * B, P, hp.h2_size),
              (2 * B, hp.h2_size, hp.h1_size)]
    shapes = []
    for m, k, n in layers:  # forward, input gradient, weight gradient
        shapes += [(m, k, n), (m, n, k), (k, m, n)]
    graph = tf.Graph()
    with graph.as_default():
        ops = []
        for m, k, n in shapes:
            a = v1.Variable(tf.random.normal([m, k]))
            b = v1.Variable(tf.random.normal([k, n]))
            # Summed in full: a sliced or unused product could be pruned by
            # the graph optimiser. The sum costs m*n, the product m*k*n.
            ops.append(tf.reduce_sum(tf.matmul(a, b)))
        init = v1.global_variables_initializer()
    seconds = 0.0
    with session(graph) as sess:
        sess.run(init)
        for op in ops:
            times = []
            for _ in range(repeats + 3):
                t = time.perf_counter()
                sess.run(op)
                times.append(time.perf_counter() - t)
            seconds += min(times[3:])
    return sum(2 * m * k * n for m, k, n in shapes) / seconds / 1e9


def child(kind, hp, iters):
    """Run in a child process: print the peak RSS (MB) after ``iters``
    iterations of ``kind`` ('import' only imports TensorFlow)."""
    from gan_mnist._tf import tf  # noqa: F401
    if kind != "import":
        images = load_train()
        loop = (PackageLoop if kind == "package" else SeedLoop)(hp, images)
        loop.run(iters)
    # VmHWM, not getrusage: ru_maxrss keeps the parent's peak across exec.
    with open("/proc/self/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM:"))
    print(int(hwm.split()[1]) / 1024)


def peak_memory(hp, iters=30):
    """Peak RSS (MB) of each kind of process, each in a fresh child."""
    out = {}
    for kind in ("import", "package", "seed"):
        r = subprocess.run([sys.executable, __file__, "--child", kind,
                            "--batch-size", str(hp.batch_size),
                            "--iters", str(iters)],
                           capture_output=True, text=True, check=True)
        out[kind] = float(r.stdout.split()[-1])
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--rounds", type=int, default=10,
                   help="alternating timed blocks per side")
    p.add_argument("--iters", type=int, default=100, help="iterations per block")
    p.add_argument("--child", choices=["import", "package", "seed"],
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    hp = HParams(batch_size=args.batch_size)
    if args.child:
        return child(args.child, hp, args.iters)

    images = load_train()
    loops = {"package": PackageLoop(hp, images), "seed": SeedLoop(hp, images)}
    for loop in loops.values():  # warm-up: graph optimisation, allocator
        loop.run(20)
    rates = {k: [] for k in loops}
    total = args.rounds * len(loops)
    started = time.time()
    for r in range(args.rounds):
        for name, loop in loops.items():
            t = time.perf_counter()
            loop.run(args.iters)
            rates[name].append(args.iters / (time.perf_counter() - t))
            done = r * len(loops) + list(loops).index(name) + 1
            left = (time.time() - started) / done * (total - done)
            print(f"  block {done}/{total}: {name} {rates[name][-1]:.1f} it/s"
                  f"  ({left:.0f}s left)", file=sys.stderr, flush=True)
    for loop in loops.values():
        loop.sess.close()
    peak = matmul_peak(hp)
    mem = peak_memory(hp)
    flop = useful_flop(hp)
    med = {k: statistics.median(v) for k, v in rates.items()}
    # The ratio of each round's two neighbouring blocks, then the median:
    # load that drifts during the run touches both sides of a pair alike.
    ratio = statistics.median(p / s for p, s in zip(rates["package"], rates["seed"]))
    print(f"batch {hp.batch_size}: {flop / 1e9:.3f} useful GFLOP/iteration, "
          f"TensorFlow matmul peak {peak:.1f} GFLOP/s, "
          f"bare TensorFlow import {mem['import']:.0f} MB")
    print(f"{'loop':8} {'it/s':>7} {'ratio':>6} {'GFLOP/s':>8} {'of peak':>8} "
          f"{'memory':>9}")
    for name in ("seed", "package"):
        gf = med[name] * flop / 1e9
        extra = mem[name] - mem["import"]
        print(f"{name:8} {med[name]:7.1f} {ratio if name == 'package' else 1:6.2f} "
              f"{gf:8.1f} {gf / peak:8.0%} {extra:6.0f} MB")
    print(f"package memory / seed memory (above import): "
          f"{(mem['package'] - mem['import']) / (mem['seed'] - mem['import']):.0%}")


if __name__ == "__main__":
    main()
