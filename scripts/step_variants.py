"""Rearrangements of the training step that were tried and not kept,
timed against the package's step in one process.

    python scripts/step_variants.py                     # batch 32, --recipe improved
    python scripts/step_variants.py --recipe fast --rounds 12
    python scripts/step_variants.py --kernels           # oneDNN against Eigen
    python scripts/step_variants.py --sessions          # executor and thread settings
    python scripts/step_variants.py --environment       # oneDNN's switches
    python scripts/step_variants.py --environment --xla # XLA's, for --xla's step
    python scripts/step_variants.py --without           # the step with parts left out

Each variant builds the package's chained training graph (four steps per
run call) with one piece swapped:

  package      -- the step as training runs it;
  tf-gradient  -- the step with TensorFlow's own MatMul gradient instead of
                  ``gan_mnist.gradients`` (the same products, in forms
                  oneDNN runs slower at small batches);
  fused-average -- the weight average's update as two kernels (the
                  difference, then ``ApplyGradientDescent`` on the shadow)
                  instead of TensorFlow's three ops; the same float32
                  arithmetic, bit for bit;
  adam-after   -- every Adam update waits for all of its network's
                  gradients, so that it never has to copy a weight that a
                  gradient computation still reads;
  xla-step     -- each step's ops, its updates included, marked for XLA
                  with ``jit_scope``, one step per run call: TensorFlow
                  cuts them into many clusters, each launched on its own
                  (``--xla`` instead compiles the whole chain as one
                  function).

``--without`` times, against the package, the step with parts of its work
left out, to bound what making those parts cheaper could gain (timing
only: these train differently): ``WITHOUT`` lists them.

Timed blocks of the variants alternate (the order reversed every other
round) after a warm-up; it prints iterations/s (the median block) and the
median ratio to ``package`` over the rounds. ``--kernels`` instead runs the
package's step in child processes with ``TF_ENABLE_ONEDNN_OPTS`` 1 and 0 in
turn, since TensorFlow reads that switch once, at import; ``--sessions``
runs it in child processes with each of ``SESSIONS``' session options in
turn (TensorFlow makes its thread pools once per process), and
``--environment`` with each of ``ENVIRONMENTS``' variables (read once, at
start-up); with ``--xla``, the step is the package's ``--xla`` program and
the variables ``XLA_ENVIRONMENTS``, XLA's own switches.
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gan_mnist import config  # noqa: E402
from timing import alternating, to_stderr  # noqa: E402

VARIANTS = ("package", "tf-gradient", "fused-average", "adam-after", "xla-step")
# name -> (HParams fields changed, Adam replaced by plain gradient descent)
WITHOUT = {
    "without-adam": ({}, True),                      # one read of each gradient instead
    "without-average": ({"g_average": 0.0}, False),
    "without-dropout": ({"keep_prob": 1.0}, False),  # no masks drawn
    "without-all-three": ({"g_average": 0.0, "keep_prob": 1.0}, True),
}
N = 60000  # the training set's size: batches are drawn from it in the graph

# Session options tried against TensorFlow's defaults (two intra-op and two
# inter-op threads on two cores): name -> {ConfigProto field: value}.
SESSIONS = {
    "default": {},
    "caller-thread": {"inter_op_parallelism_threads": -1},  # ops run in run()'s thread
    "one-inter-op-thread": {"inter_op_parallelism_threads": 1},
    "one-intra-op-thread": {"intra_op_parallelism_threads": 1},
    "single-threaded-executor": {"experimental.executor_type": "SINGLE_THREADED_EXECUTOR"},
    "static-graph": {"experimental.optimize_for_static_graph": True},
    "no-spinning": {"experimental.disable_thread_spinning": True},
}

# Environment variables tried against none: name -> {variable: value}.
ENVIRONMENTS = {
    "default": {},
    # oneDNN's kernels run part of their work in the calling thread instead
    # of handing all of it to the intra-op pool.
    "onednn-caller-thread": {"TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD": "1"},
    # TensorFlow's oneDNN allocator takes its buffers from malloc instead of
    # its own pool.
    "onednn-system-allocator": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1"},
}

# XLA's switches for its CPU programs (``--environment --xla``), against none.
XLA_ENVIRONMENTS = {
    "default": {},
    # Schedules the program's independent parts to run side by side.
    "concurrency-scheduler": {
        "XLA_FLAGS": "--xla_cpu_enable_concurrency_optimized_scheduler=true"},
    # Matrix products by oneDNN instead of XLA's default library.
    "onednn-dots": {"XLA_FLAGS": "--xla_cpu_use_onednn=true"},
    # Matrix products by XLA's own emitted code or Eigen, without a library.
    "no-ynn-dots": {"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type="},
    # Loops that read the same arrays merged into one pass (Adam's three
    # passes over a variable's gradient and slots, for one).
    "multi-output-fusion": {
        "XLA_FLAGS": "--xla_backend_extra_options=xla_cpu_use_multi_output_fusion"},
}


def session_options(cfg, options):
    """Set ``options`` ({"field" or "message.field": value}) on ConfigProto ``cfg``."""
    for field, value in options.items():
        *path, name = field.split(".")
        target = cfg
        for part in path:
            target = getattr(target, part)
        setattr(target, name, value)
    return cfg


def fused_average(ema, params, decay):
    """shadow -= (shadow - weight) * (1 - decay), as two kernels."""
    from gan_mnist._tf import tf
    ema.apply(params)  # makes the shadows; its own update op is not run
    rate = tf.constant(1.0, tf.float32) - tf.constant(decay, tf.float32)
    updates = []
    for p in params:
        shadow = ema.average(p)
        updates.append(tf.raw_ops.ResourceApplyGradientDescent(
            var=shadow.handle, alpha=rate, delta=shadow.read_value() - p.read_value()))
    return tf.group(*updates)


class TwoKernelAverage:
    """Stands in for the step's ``ExponentialMovingAverage``: its ``apply``
    is ``fused_average``."""

    def __init__(self, ema, decay):
        self.ema, self.decay = ema, decay

    def apply(self, params):
        return fused_average(self.ema, params, self.decay)


def build(hp, variant, options=None, n=None):
    """(session, TrainGraph) of the package's graph with ``variant`` in it,
    trained on ``n`` random images (default ``N``), in a session with
    TensorFlow's defaults changed by ``options`` (see ``session_options``)."""
    from gan_mnist import optim, train_graph
    from gan_mnist._tf import tf, v1
    from gan_mnist.training import session_config

    original_step, original_apply = train_graph._step, optim.SharedAdam.apply
    original_gradients = train_graph.faster_matmul_gradients

    def step(hp, x_reals, it, g_params, d_params, adam, ema, rates, after):
        return original_step(hp, x_reals, it, g_params, d_params, adam,
                             TwoKernelAverage(ema, hp.g_average), rates, after)

    def compiled_step(*args):
        with tf.xla.experimental.jit_scope(compile_ops=True,
                                           separate_compiled_gradients=False):
            return original_step(*args)

    def plain_descent(self, grads, params, rate):
        rate = tf.cast(rate, tf.float32)
        return tf.group(*[tf.raw_ops.ResourceApplyGradientDescent(
            var=p.handle, alpha=rate, delta=g) for g, p in zip(grads, params)])

    def apply_after(self, grads, params, rate):
        with tf.control_dependencies(grads):
            return original_apply(self, grads, params, rate)

    if variant == "fused-average" and hp.g_average:
        train_graph._step = step
    if variant == "adam-after":
        optim.SharedAdam.apply = apply_after
    if variant == "tf-gradient":
        train_graph.faster_matmul_gradients = lambda graph: contextlib.nullcontext()
    if variant == "xla-step":
        train_graph._step = compiled_step
    if variant in WITHOUT:
        fields, no_adam = WITHOUT[variant]
        hp = hp._replace(**fields)
        if no_adam:
            optim.SharedAdam.apply = plain_descent
    try:
        n = n or N
        tg = train_graph.build_train_graph(
            hp, n, steps_per_run=1 if variant == "xla-step" else 4)
    finally:
        train_graph._step, optim.SharedAdam.apply = original_step, original_apply
        train_graph.faster_matmul_gradients = original_gradients
    sess = v1.Session(graph=tg.graph,
                      config=session_options(session_config(hp), options or {}))
    sess.run(tg.init)
    images = np.random.default_rng(0).integers(0, 256, (n, 784), dtype=np.uint8)
    sess.run(tg.data_init, {tg.images: images, tg.order: np.arange(n, dtype=np.int32)})
    return sess, tg


class Timer:
    """Runs blocks of chained steps of one graph, counting its iterations."""

    def __init__(self, sess, tg):
        self.sess, self.tg, self.it = sess, tg, 0

    def block(self, calls):
        """Seconds per iteration over ``calls`` run calls."""
        start = time.perf_counter()
        for _ in range(calls):
            self.sess.run(self.tg.train_steps, {self.tg.iteration: self.it})
            self.it += self.tg.steps_per_run
        return (time.perf_counter() - start) / (calls * self.tg.steps_per_run)


def compare(timers, rounds, calls):
    """Alternating blocks; returns {name: [seconds per iteration]}."""
    for t in timers.values():
        t.block(calls)  # warm-up
    return alternating(timers, rounds, lambda name: timers[name].block(calls))


def in_children(cmd, runs, rounds):
    """{name: [seconds per iteration]}: ``cmd`` + [session] run in a child
    process for each of ``runs`` ({name: (session, environment)}) in turn,
    the order reversed every other round."""
    def child(name):
        session, env = runs[name]
        out = subprocess.run(cmd + [session], capture_output=True, text=True, check=True,
                             env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **env))
        return float(out.stdout.split()[-1])
    return alternating(runs, rounds, child, log=to_stderr)


def report(times, base):
    for name, ts in times.items():
        ratios = [b / t for b, t in zip(times[base], ts)]
        print(f"{name:26s} {1 / statistics.median(ts):7.1f} it/s   x{statistics.median(ratios):.3f}"
              f" of {base} (rounds {min(ratios):.3f}-{max(ratios):.3f})", flush=True)


def hparams(args):
    fields = dict(config.DEFAULTS, seed=1, precision=args.precision,
                  xla=getattr(args, "xla", False))
    if args.recipe:
        fields.update(config.RECIPES[args.recipe])
    return config.HParams(**fields)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", choices=sorted(config.RECIPES), default="improved")
    p.add_argument("--precision", choices=config.PRECISIONS, default="float32")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--calls", type=int, default=150, help="run calls per block")
    p.add_argument("--kernels", action="store_true",
                   help="oneDNN against Eigen, in alternating child processes")
    p.add_argument("--sessions", action="store_true",
                   help="session options (threads, executor), in alternating child processes")
    p.add_argument("--environment", action="store_true",
                   help="oneDNN's environment variables, in alternating child processes")
    p.add_argument("--xla", action="store_true",
                   help="with --environment: the step as --xla compiles it, and "
                        "XLA's switches")
    p.add_argument("--without", action="store_true",
                   help="the step with parts of its work left out (timing only)")
    p.add_argument("--child", metavar="SESSION", choices=sorted(SESSIONS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.xla and not (args.environment or args.child):
        # The variants are built on TensorFlow's kernels; on the --xla step
        # they would time something that training never runs.
        print("step_variants: error: --xla goes with --environment (XLA's "
              "switches on the --xla step)", file=sys.stderr)
        sys.exit(2)
    hp = hparams(args)
    if args.child:  # one block's seconds per iteration, after a warm-up
        timer = Timer(*build(hp, "package", SESSIONS[args.child]))
        timer.block(args.calls)
        print(timer.block(args.calls))
        return
    if args.kernels or args.sessions or args.environment:
        cmd = [sys.executable, __file__, "--recipe", args.recipe,
               "--precision", args.precision, "--calls", str(args.calls),
               *(["--xla"] if args.xla else []), "--child"]
        if args.kernels:
            runs = {name: ("default", {"TF_ENABLE_ONEDNN_OPTS": flag})
                    for name, flag in (("oneDNN", "1"), ("Eigen", "0"))}
        elif args.environment:
            runs = {name: ("default", env) for name, env in
                    (XLA_ENVIRONMENTS if args.xla else ENVIRONMENTS).items()}
        else:
            runs = {name: (name, {}) for name in SESSIONS}
        report(in_children(cmd, runs, args.rounds), next(iter(runs)))
        return
    variants = ("package", *WITHOUT) if args.without else VARIANTS
    timers = {v: Timer(*build(hp, v)) for v in variants}
    report(compare(timers, args.rounds, args.calls), "package")


if __name__ == "__main__":
    main()
