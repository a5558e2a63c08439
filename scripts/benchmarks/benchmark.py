"""Training throughput and memory: the package against the tutorial's loop.

    python scripts/benchmarks/benchmark.py --batch-size 256
    python scripts/benchmarks/benchmark.py --recipe improved            # batch 32, its options
    python scripts/benchmarks/benchmark.py --recipe improved --precision bfloat16
    python scripts/benchmarks/benchmark.py --recipe improved --xla     # steps as XLA programs

In one process, after a warm-up, it alternates timed blocks of

  package  -- gan_mnist's training step as training runs it: data and noise
              drawn in the graph, four steps chained in one run call, G
              update through D on G(z) only, with the options asked for;
  single   -- the same graph, one step per run call (what the package did
              before chaining), to measure the chain's gain;
  tutorial -- a loop written the tutorial's way around its graph
              (gan_mnist.graph.tutorial): per-step feed_dict of float64-normalised
              numpy batches, numpy noise, one run call for the D update and
              one for the G update, D over the concatenated batch in both
              (the tutorial's options, whatever the flags);
  kernels  -- with --xla only: the package's step without it, TensorFlow's
              kernels op by op, to measure what compiling gains;

so that all meet the same machine load. It reports iterations/s (the median
block), the ratios to the tutorial's loop (the median of the rounds' ratios of
neighbouring blocks), the useful GFLOP/s as a share of a TensorFlow matmul
peak measured here at the same shapes, and the peak resident memory of a
whole training process of the package and of the tutorial's loop above that of
a process that only imports TensorFlow (each measured in a child process).

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
tutorial's graph does 13.5 MFLOP per image of work for the same result.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from gan_mnist.config import IMAGE_SIZE, HParams
from gan_mnist.cpu import cpu_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    """The package's training steps as training runs them: ``steps_per_run``
    chained steps per run call (``chain=False``: one step per call)."""

    def __init__(self, hp, images, chain=True):
        from gan_mnist._tf import session
        from gan_mnist.graph.train_graph import build_train_graph
        from gan_mnist.training.loop import session_config
        self.tg = build_train_graph(hp._replace(seed=1), len(images))
        self.sess = session(self.tg.graph, session_config(hp))
        self.sess.run(self.tg.init)
        self.sess.run(self.tg.data_init, {
            self.tg.images: images,
            self.tg.order: np.arange(len(images), dtype=np.int32)})
        tg = self.tg
        self.k = tg.steps_per_run if chain else 1
        self.fetches = ([tg.train_steps, tg.step_losses] if chain else
                        [tg.train_op, tg.d_loss, tg.g_loss, tg.d_real, tg.d_fake])
        self.i = 0

    def run(self, n):
        for _ in range(0, n, self.k):
            self.sess.run(self.fetches, {self.tg.iteration: self.i})
            self.i += self.k


class TutorialLoop:
    """The tutorial's loop: numpy batches and noise fed every step."""

    def __init__(self, hp, images):
        from gan_mnist._tf import session
        from gan_mnist.graph import tutorial
        self.hp = hp
        self.sg = tutorial.build_tutorial_graph(hp)
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


def matmul_peak(hp, repeats=10, rounds=5):
    """GFLOP/s of TensorFlow float32 matmuls at the shapes of one iteration
    (forward, input-gradient and weight-gradient products of both networks):
    each product computed ``repeats`` times in one run call, so that the
    call's own cost does not count; the best of ``rounds`` timings."""
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
            # Distinct products (a scaled copy each), summed in full: an
            # unused or repeated product could be pruned by the optimiser.
            # The scaling and the sums cost m*k and m*n, the product m*k*n.
            ops.append(tf.add_n([tf.reduce_sum(tf.matmul(a * (1.0 + r / 1024), b))
                                 for r in range(repeats)]))
        init = v1.global_variables_initializer()
    seconds = 0.0
    with session(graph) as sess:
        sess.run(init)
        for op in ops:
            times = []
            for _ in range(rounds + 2):
                t = time.perf_counter()
                sess.run(op)
                times.append(time.perf_counter() - t)
            seconds += min(times[2:]) / repeats
    return sum(2 * m * k * n for m, k, n in shapes) / seconds / 1e9


def child(kind, hp, iters):
    """Run in a child process: print the peak RSS (MB) after ``iters``
    iterations of ``kind`` ('import' only imports TensorFlow)."""
    from gan_mnist._tf import tf  # noqa: F401
    if kind != "import":
        images = load_train()
        loop = (PackageLoop if kind == "package" else TutorialLoop)(hp, images)
        loop.run(iters)
    # VmHWM, not getrusage: ru_maxrss keeps the parent's peak across exec.
    with open("/proc/self/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM:"))
    print(int(hwm.split()[1]) / 1024)


def peak_memory(argv, iters=32):
    """Peak RSS (MB) of each kind of process, each in a fresh child."""
    out = {}
    for kind in ("import", "package", "tutorial"):
        r = subprocess.run([sys.executable, __file__, *argv, "--child", kind,
                            "--iters", str(iters)],
                           capture_output=True, text=True, check=True)
        out[kind] = float(r.stdout.split()[-1])
    return out


def settings(args):
    """HParams from the flags: the defaults, a recipe, then the flags."""
    from gan_mnist import config
    hp = HParams()._replace(**config.RECIPES.get(args.recipe, {}))
    if args.batch_size:
        hp = hp._replace(batch_size=args.batch_size)
    return hp._replace(precision=args.precision, xla=getattr(args, "xla", False))


def main(argv=None):
    from gan_mnist import config
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-size", type=int, help="default: 256, or the recipe's")
    p.add_argument("--recipe", choices=sorted(config.RECIPES),
                   help="the recipe's options (and batch size) for the package")
    p.add_argument("--precision", choices=config.PRECISIONS, default="float32")
    p.add_argument("--xla", action="store_true",
                   help="the package's steps as XLA programs (gan_mnist.train --xla)")
    p.add_argument("--rounds", type=int, default=10,
                   help="alternating timed blocks per loop")
    p.add_argument("--iters", type=int, default=None,
                   help="iterations per block (default: 25600 / batch size)")
    p.add_argument("--child", choices=["import", "package", "tutorial"],
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    hp = settings(args)
    iters = args.iters or max(8, 25600 // hp.batch_size // 8 * 8)
    if args.child:
        return child(args.child, hp, iters)
    if hp.precision == "bfloat16":
        from gan_mnist.cpu import check_bfloat16
        check_bfloat16()

    images = load_train()
    loops = {"package": PackageLoop(hp, images),
             "single": PackageLoop(hp, images, chain=False),
             "tutorial": TutorialLoop(hp, images)}
    if hp.xla:
        loops["kernels"] = PackageLoop(hp._replace(xla=False), images)
    for loop in loops.values():  # warm-up: graph optimisation, compiling, allocator
        loop.run(24)
    rates = {k: [] for k in loops}
    total = args.rounds * len(loops)
    started = time.time()
    for r in range(args.rounds):
        for name, loop in loops.items():
            t = time.perf_counter()
            loop.run(iters)
            rates[name].append(iters / (time.perf_counter() - t))
            done = r * len(loops) + list(loops).index(name) + 1
            left = (time.time() - started) / done * (total - done)
            print(f"  block {done}/{total}: {name} {rates[name][-1]:.1f} it/s"
                  f"  ({left:.0f}s left)", file=sys.stderr, flush=True)
    for loop in loops.values():
        loop.sess.close()
    peak = matmul_peak(hp)
    flag_argv = [w for w in (argv if argv is not None else sys.argv[1:])]
    mem = peak_memory(flag_argv)
    flop = useful_flop(hp)
    med = {k: statistics.median(v) for k, v in rates.items()}
    # The ratio of each round's neighbouring blocks, then the median: load
    # that drifts during the run touches both sides of a pair alike.
    ratio = {k: statistics.median(a / b for a, b in zip(rates[k], rates["tutorial"]))
             for k in rates}
    chain = statistics.median(a / b for a, b in zip(rates["package"], rates["single"]))
    options = f"--recipe {args.recipe}" if args.recipe else "the tutorial's options"
    options += ", --xla" if hp.xla else ""
    print(f"{cpu_name()}, {os.cpu_count()} cores; batch {hp.batch_size}, {options}, "
          f"{hp.precision}: {flop / 1e9:.3f} useful GFLOP/iteration, TensorFlow "
          f"matmul peak {peak:.1f} GFLOP/s (float32), bare TensorFlow import "
          f"{mem['import']:.0f} MB")
    print(f"{'loop':8} {'it/s':>7} {'vs tutorial':>12} {'GFLOP/s':>8} {'of peak':>8} "
          f"{'memory':>9}")
    for name in ("tutorial", "single", *(["kernels"] if hp.xla else []), "package"):
        gf = med[name] * flop / 1e9
        extra = f"{mem[name] - mem['import']:6.0f} MB" if name in mem else ""
        print(f"{name:8} {med[name]:7.1f} {ratio[name]:12.2f} {gf:8.1f} "
              f"{gf / peak:8.0%} {extra}")
    print(f"chained steps / one step per call: {chain:.3f} (median of paired blocks)")
    if hp.xla:
        gain = statistics.median(a / b for a, b in zip(rates["package"], rates["kernels"]))
        print(f"XLA / TensorFlow's kernels: {gain:.3f} (median of paired blocks)")
    print(f"package memory / tutorial's memory (above import): "
          f"{(mem['package'] - mem['import']) / (mem['tutorial'] - mem['import']):.0%}")


if __name__ == "__main__":
    main()
