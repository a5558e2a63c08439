"""Where a training step's time goes, measured on this machine.

    python scripts/step_profile.py --recipe improved       # batch 32
    python scripts/step_profile.py                         # batch 256, the tutorial's options
    python scripts/step_profile.py --recipe improved --precision bfloat16
    python scripts/step_profile.py --recipe improved --xla  # the compiled program

It prints four tables, all per training iteration (one D and one G update):

  step    -- the package's chained step as training runs it (four steps per
             run call): milliseconds, the cores it kept busy and the
             threads' context switches;
  ops     -- TensorFlow's own trace of the same step (RunOptions
             FULL_TRACE): the kernels that ran after Grappler's rewrites,
             by type, with their summed time. Kernels on the two cores
             overlap, so the sum exceeds the step's time. With ``--xla``,
             the compiled program's parts instead (TensorFlow's profiler,
             with XLA's optimised program dumped to name them): its
             matrix products, and its fused loops by the TensorFlow op
             they came from (Adam's updates, the weight average, ...);
  alone   -- each kind of work timed alone in a graph of its own at the
             step's shapes: the matmuls (the useful FLOP at TensorFlow's
             float32 matmul peak for these shapes, as scripts/benchmark.py
             measures it), Adam's updates of both networks, the weight
             average's update, the noise and dropout masks (with a sum over
             each, so that they are not pruned), and a run call that does
             nothing;
  memory  -- the bytes that the updates must read and write each step,
             and the copy bandwidth of one core at 1 MB and at that size
             (caches against main memory).
"""

import argparse
import collections
import glob
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import benchmark  # noqa: E402
from timing import cpu_name, timed  # noqa: E402
from gan_mnist import config  # noqa: E402

CHAIN = 4  # steps per run call, as training runs them
EMPTY_CALL = f"an empty run call, shared by {CHAIN} iterations"


def step_figures(hp, calls, n_train, dump=None):
    """The chained step: (ms per iteration, busy cores, context switches per
    iteration, op table rows, kernels per iteration). With ``hp.xla`` the
    rows are the compiled program's parts, named from XLA's dump of it in
    ``dump``, and the kernels are its parts run per iteration."""
    from gan_mnist._tf import v1
    import step_variants
    sess, tg = step_variants.build(hp, "package", n=n_train)
    timer = step_variants.Timer(sess, tg)
    timer.block(calls)  # warm-up: Grappler, allocator
    before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    seconds = statistics.median(timer.block(calls) for _ in range(5))
    wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    iters = 5 * calls * tg.steps_per_run
    busy = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / wall
    switches = (after.ru_nvcsw + after.ru_nivcsw - before.ru_nvcsw - before.ru_nivcsw) / iters

    totals, traced = collections.defaultdict(lambda: [0, 0.0]), 20
    if hp.xla:
        totals = xla_trace(sess, tg, timer, traced, dump)
    opts = v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE)
    for _ in range(0 if hp.xla else traced):
        meta = v1.RunMetadata()
        sess.run(tg.train_steps, {tg.iteration: timer.it}, options=opts, run_metadata=meta)
        timer.it += tg.steps_per_run
        for dev in meta.step_stats.dev_stats:
            for node in dev.node_stats:
                label = node.timeline_label
                kind = label.split(" = ")[1].split("(")[0] if " = " in label else node.node_name
                totals[kind][0] += 1
                totals[kind][1] += node.all_end_rel_micros / 1000
    sess.close()
    per = traced * tg.steps_per_run
    rows = sorted(((k, n / per, ms / per) for k, (n, ms) in totals.items()),
                  key=lambda r: -r[2])
    kernels = sum(n for n, _ in totals.values()) / per
    return seconds * 1000, busy, switches, rows, kernels


def hlo_kinds(hlo_text):
    """{instruction name: kind} for the entry computation of XLA's optimised
    program (its text dump): "matrix products" for dots (and library
    fusions of them), "Adam" and "weight average" for the fused loops of
    those updates, else the TensorFlow op type that the instruction came
    from (its metadata), else the HLO opcode."""
    kinds = {}
    entry = hlo_text[hlo_text.find("\nENTRY"):]
    for line in entry.splitlines():
        m = re.match(r"\s+(?:ROOT )?%(\S+) = .*? ([a-z][a-z-]*)\(", line)
        if not m:
            continue
        name, opcode = m.groups()
        op_type = re.search(r'op_type="(\w+)"', line)
        op_name = re.search(r'op_name="([^"]+)"', line)
        if opcode == "dot" or (op_type and op_type.group(1) in ("MatMul", "BatchMatMulV2")
                               and "kind=kCustom" in line):
            kind = "matrix products"
        elif op_name and "ExponentialMovingAverage" in op_name.group(1):
            kind = "weight average"
        elif op_type and op_type.group(1).startswith("ResourceApplyAdam"):
            kind = "Adam"
        elif op_type:
            kind = op_type.group(1)
        else:
            kind = opcode
        kinds[name] = kind
    return kinds


def thunk_times(xspace, kinds):
    """{kind: [events, ms]} summed over the trace's events (an XSpace proto)
    that ``kinds`` names: the XLA program's parts as they ran."""
    totals = collections.defaultdict(lambda: [0, 0.0])
    for plane in xspace.planes:
        names = {k: m.name for k, m in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                kind = kinds.get(names.get(event.metadata_id))
                if kind:
                    totals[kind][0] += 1
                    totals[kind][1] += event.duration_ps / 1e9
    return totals


def xla_trace(sess, tg, timer, calls, dump):
    """{kind: [events, ms]} of ``calls`` run calls of the --xla program,
    traced by TensorFlow's profiler and named from XLA's dump in ``dump``."""
    from gan_mnist._tf import tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2
    hlo = glob.glob(os.path.join(dump, "*steps*cpu_after_optimizations.txt"))
    if not hlo:
        sys.exit(f"step_profile: no optimised XLA program in {dump}: XLA_FLAGS "
                 "was read before --xla set it")
    with open(max(hlo, key=os.path.getmtime)) as f:
        kinds = hlo_kinds(f.read())
    logdir = os.path.join(dump, "trace")
    tf.profiler.experimental.start(logdir)
    for _ in range(calls):
        sess.run(tg.train_steps, {tg.iteration: timer.it})
        timer.it += tg.steps_per_run
    tf.profiler.experimental.stop()
    xspace = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb"))[0],
              "rb") as f:
        xspace.ParseFromString(f.read())
    return thunk_times(xspace, kinds)


def chained(make, k=CHAIN):
    """``k`` copies of the ops that ``make()`` returns, each after the last."""
    from gan_mnist._tf import tf
    done = []
    for _ in range(k):
        with tf.control_dependencies(done):
            done = [tf.group(*make())]
    return done[0]


def parts_alone(hp, calls):
    """{part: ms per iteration}, each part in a graph of its own at the step's
    shapes, ``CHAIN`` iterations' worth per run call."""
    from gan_mnist import model, streams
    from gan_mnist._tf import session, tf, v1
    from gan_mnist.optim import SharedAdam
    from gan_mnist.training import session_config

    B, out = hp.batch_size, {}
    peak = benchmark.matmul_peak(hp)
    out["matmuls (useful FLOP at the float32 peak)"] = benchmark.useful_flop(hp) / peak / 1e6

    def per_iteration(build):
        graph = tf.Graph()
        with graph.as_default():
            op = build()
            init = v1.global_variables_initializer()
        with session(graph, session_config(hp)) as sess:
            sess.run(init)
            return timed(lambda: sess.run(op), calls) / CHAIN * 1000

    def params():
        g, d = model.make_params(hp, 1)
        grads = [v1.Variable(tf.random.normal(p.shape) * 1e-3, trainable=False)
                 for p in g + d]
        return g, d, grads

    def adam():
        g, d, grads = params()
        opt = SharedAdam(hp)

        def both():  # the D update, then the G update, as in a step
            d_train = opt.apply([x.read_value() for x in grads[6:]], d, hp.learning_rate)
            with tf.control_dependencies([d_train]):
                return [opt.apply([x.read_value() for x in grads[:6]], g, hp.learning_rate)]
        return chained(both)

    def average():
        g, _, _ = params()
        ema = v1.train.ExponentialMovingAverage(hp.g_average or 0.999)
        return chained(lambda: [ema.apply(g)])

    def noise():
        # A variable's value, not a constant: Grappler would fold draws from
        # a constant seed into constants. And the draws are summed into the
        # fetched value: Grappler prunes stateless ops that nothing reads.
        base = v1.Variable(0, dtype=tf.int64, trainable=False).read_value()
        sums = []
        for k in range(CHAIN):
            i = base + k
            z = tf.random.stateless_normal([B, hp.z_size],
                                           seed=model.stream_seed(1, streams.Z, i))
            masks = (model.dropout_masks(2 * B, hp, 1, streams.D_DROP, i)
                     + model.dropout_masks(B, hp, 1, streams.G_DROP, i))
            sums += [tf.reduce_sum(t) for t in (z,) + masks]
        return tf.add_n(sums)

    out["Adam, both networks"] = per_iteration(adam)
    if hp.g_average:
        out["weight average of G"] = per_iteration(average)
    out["noise and dropout masks"] = per_iteration(noise)
    out[EMPTY_CALL] = per_iteration(lambda: tf.no_op())
    return out


def state_megabytes(hp):
    """MB that one iteration's updates read and write: Adam reads weight,
    gradient and two slots and writes weight and slots (7 passes); the
    average reads the shadow and the weight and writes the shadow (3)."""
    from gan_mnist import model
    g, d = model.layer_shapes(hp)
    size = lambda shapes: sum(int(np.prod(s)) for _, s in shapes) * 4 / 1e6
    return {"weights": size(g) + size(d),
            "Adam's passes": 7 * (size(g) + size(d)),
            "average's passes": 3 * size(g) if hp.g_average else 0.0}


def copy_bandwidth(megabytes, seconds=0.3):
    """GB/s read plus written by one core copying ``megabytes`` with numpy."""
    a = np.ones(int(megabytes * 1e6 / 4), np.float32)
    b = np.empty_like(a)
    reps = max(3, int(seconds * 40e9 / (2 * a.nbytes)))
    return 2 * a.nbytes / timed(lambda: np.copyto(b, a), reps, rounds=3) / 1e9


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-size", type=int, help="default: 256, or the recipe's")
    p.add_argument("--recipe", choices=sorted(config.RECIPES))
    p.add_argument("--precision", choices=config.PRECISIONS, default="float32")
    p.add_argument("--calls", type=int, default=150, help="run calls per timed block")
    p.add_argument("--xla", action="store_true",
                   help="the step as --xla compiles it, its program's parts by kind")
    p.add_argument("--train-size", type=int, default=60000, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    hp = benchmark.settings(args)._replace(seed=1)
    calls = args.calls

    dump = None
    if hp.xla:
        # XLA reads its flags once, at its first compilation: this one.
        dump = tempfile.mkdtemp(prefix="step_profile.")
        os.environ["XLA_FLAGS"] = " ".join(filter(None, [
            os.environ.get("XLA_FLAGS"), f"--xla_dump_to={dump}",
            "--xla_dump_hlo_as_text", "--xla_dump_hlo_module_re=.*steps.*"]))
    try:
        ms, busy, switches, rows, kernels = step_figures(hp, calls, args.train_size, dump)
    finally:
        if dump:
            shutil.rmtree(dump, ignore_errors=True)
    options = f"--recipe {args.recipe}" if args.recipe else "the tutorial's options"
    print(f"{cpu_name()}, {os.cpu_count()} cores; batch {hp.batch_size}, "
          f"{options}, {hp.precision}" + (", --xla" if hp.xla else ""))
    print(f"\nstep: {ms:.2f} ms per iteration ({1000 / ms:.0f} it/s), {busy:.2f} cores "
          f"busy, {switches:.0f} context switches per iteration")
    if hp.xla:
        print(f"\nprogram: {kernels:.0f} parts per iteration; summed time by kind:")
    else:
        print(f"\nops: {kernels:.0f} kernels per iteration; summed kernel time by type:")
    total = sum(r[2] for r in rows)
    for kind, n, t in rows[:12]:
        print(f"  {kind:32s} {n:6.1f} per it. {t:7.3f} ms {t / total:6.1%}")
    rest = rows[12:]
    print(f"  {'the other ' + str(len(rest)) + ' types':32s} {sum(r[1] for r in rest):6.1f}"
          f" per it. {sum(r[2] for r in rest):7.3f} ms {sum(r[2] for r in rest) / total:6.1%}")
    if hp.xla:  # a part's time runs from its start to its end, on both
        # cores where it is parallel (the products, the larger loops)
        print(f"  {'sum':32s} {'':14s} {total:7.3f} ms (from each part's start to its end)")
    else:
        print(f"  {'sum':32s} {'':14s} {total:7.3f} ms (over {busy:.2f} busy cores:"
              f" {total / busy:.2f} ms)")

    if not hp.xla:  # the parts alone run on TensorFlow's kernels
        print("\nalone, ms per iteration:")
        parts = parts_alone(hp, calls)
        for part, t in parts.items():
            print(f"  {part:50s} {t:6.3f}")
        alone = sum(parts.values())
        print(f"  {'together':50s} {alone:6.3f} = {alone / ms:.0%} of the step")

    state = state_megabytes(hp)
    print("\nmemory, per iteration:")
    for part, mb in state.items():
        print(f"  {part:20s} {mb:6.1f} MB")
    big = state["weights"] * 3  # weights and Adam's two slots
    near, far = copy_bandwidth(1.0), copy_bandwidth(big)
    passes = state["Adam's passes"] + state["average's passes"]
    print(f"  one core copies at {near:.0f} GB/s within 1 MB and at {far:.0f} GB/s "
          f"over {big:.0f} MB (weights and Adam's slots); at that rate Adam's "
          f"and the average's passes take {passes / far:.2f} ms")


if __name__ == "__main__":
    main()
