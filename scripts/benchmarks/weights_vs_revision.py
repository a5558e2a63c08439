"""Does this tree train exactly as another revision does? Variables compared.

    python scripts/benchmarks/weights_vs_revision.py --rev fa29a33 \
        --flags "--seed 1 --limit 2048 --max-epoch 2"
    python scripts/benchmarks/weights_vs_revision.py --rev fa29a33 --resume 1 \
        --flags "--recipe improved --seed 1 --limit 4096 --max-epoch 2"

The revision is exported with ``git archive`` (as ``epoch_vs_revision.py``
does). Each tree trains a fresh run with the same train flags; then every
variable of the two final checkpoints is compared. With ``--resume K`` the
revision trains K epochs and this tree resumes that run (``--restore``) to
the end, against the revision's own uninterrupted run: a checkpoint written
by the revision restores here and trains on as it would have there.

Prints, per variable that differs, the largest absolute difference, and a
last line "bit for bit" or "differs"; exit status 0 either way, 2 on bad
flags.
"""

import argparse
import os
import subprocess

import numpy as np
from epoch_vs_revision import ROOT, exported, train_command

from gan_mnist.cpu import cpu_name


def train(tree, output, flags):
    argv, env = train_command(tree, output, flags)
    subprocess.run(argv, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def variables(prefix):
    """{name: array} of a checkpoint (read with the installed TensorFlow)."""
    from gan_mnist._tf import tf
    reader = tf.train.load_checkpoint(prefix)
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


def differences(a, b):
    """{name: largest |a - b|} of the variables that differ, and the names
    that only one side has."""
    diff = {n: float(np.max(np.abs(a[n].astype(np.float64) - b[n])))
            for n in sorted(set(a) & set(b)) if not np.array_equal(a[n], b[n])}
    return diff, sorted(set(a) ^ set(b))


def newest(folder):
    from gan_mnist.rundir import checkpoints
    return checkpoints.latest(folder)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rev", required=True, help="the revision to compare with")
    p.add_argument("--flags", required=True, help="train flags for both trees")
    p.add_argument("--resume", type=int, metavar="K",
                   help="this tree resumes the revision's run after K epochs")
    args = p.parse_args(argv)
    flags = args.flags.split()
    with exported(args.rev, "weights_vs_revision") as (scratch, old):
        ref, new = os.path.join(scratch, "ref"), os.path.join(scratch, "new")
        train(old, ref, flags)
        if args.resume:
            train(old, new, flags + ["--stop-after", str(args.resume)])
            train(ROOT, new, flags + ["--restore"])
        else:
            train(ROOT, new, flags)
        a, b = variables(newest(ref)), variables(newest(new))
    diff, unpaired = differences(a, b)
    how = f"resumed here after {args.resume} epochs" if args.resume else "trained here"
    print(f"{cpu_name()}; train {' '.join(flags)}; {args.rev} against this tree "
          f"({how}): {len(a)} variables")
    for name, d in diff.items():
        print(f"  {name}: largest difference {d:.3g}")
    for name in unpaired:
        print(f"  {name}: in one checkpoint only")
    print("bit for bit" if not diff and not unpaired else "differs")


if __name__ == "__main__":
    main()
