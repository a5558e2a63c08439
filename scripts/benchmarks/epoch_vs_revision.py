"""Whole training epochs of this tree against another revision's, side by side.

    python scripts/benchmarks/epoch_vs_revision.py --rev 6aca8ac                # --recipe improved, 1 epoch
    python scripts/benchmarks/epoch_vs_revision.py --rev 6aca8ac --pairs 5 --new-flags --precision bfloat16
    python scripts/benchmarks/epoch_vs_revision.py --rev 6aca8ac --flags "--recipe improved --seed 1 --max-epoch 3" \
        --skip-epochs 1 --new-flags --xla

The revision is exported with ``git archive`` into a temporary folder (its
own MNIST_data included). Then, pair by pair, each tree trains a fresh run
with the same flags (``python -m gan_mnist.train --recipe improved --seed 1
--max-epoch 1`` by default) in a temporary output folder, the order
reversed every other pair so that drifting machine load touches both
alike. It prints each run's epoch seconds as its ``metrics.csv`` records
them (the training steps, not TensorFlow's start-up) and the median of the
pairs' ratios, old / new: above 1 means this tree is faster. The temporary
folders are removed at the end.
"""

import argparse
import contextlib
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from timing import alternating, to_stderr

from gan_mnist.cpu import cpu_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def export_revision(rev, dest, repo=ROOT):
    """Write revision ``rev`` of the git repository ``repo`` into ``dest``."""
    archive = subprocess.run(["git", "-C", repo, "archive", "--format=tar", rev],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def check_revision(rev, prog):
    """Exit with one line and status 2 unless ``rev`` is a commit here."""
    check = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "--quiet",
                            rev + "^{commit}"], capture_output=True, text=True)
    if check.returncode:
        print(f"{prog}: error: --rev {rev}: not a commit of {ROOT}", file=sys.stderr)
        sys.exit(2)


@contextlib.contextmanager
def exported(rev, prog):
    """Within the block: (a scratch folder, revision ``rev`` exported into
    its ``old``), both removed at the end; exits in one line, status 2,
    unless ``rev`` is a commit here."""
    check_revision(rev, prog)
    scratch = tempfile.mkdtemp(prefix=prog + ".")
    try:
        old = os.path.join(scratch, "old")
        os.mkdir(old)
        export_revision(rev, old)
        yield scratch, old
    finally:
        shutil.rmtree(scratch)


def epoch_seconds(metrics_csv):
    """The ``seconds`` of every epoch in a run's metrics.csv."""
    with open(metrics_csv, newline="") as f:
        return [float(row["seconds"]) for row in csv.DictReader(f)]


def train_command(tree, output, flags):
    """(argv, environment) that run ``tree``'s own gan_mnist.train."""
    env = dict(os.environ, PYTHONPATH=tree, TF_CPP_MIN_LOG_LEVEL="2")
    return [sys.executable, "-m", "gan_mnist.train", "--output", output, *flags], env


def run_epochs(tree, flags, scratch):
    """Seconds of each epoch of a fresh run of ``tree`` with ``flags``."""
    output = tempfile.mkdtemp(dir=scratch)
    os.rmdir(output)  # the run makes its own folder
    argv, env = train_command(tree, output, flags)
    subprocess.run(argv, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return epoch_seconds(os.path.join(output, "metrics.csv"))


def compare(trees, flags, pairs, run=run_epochs, scratch=None, log=None, skip=0):
    """{name: [seconds of each run's epochs after the first ``skip``, summed]}
    for ``trees`` ({name: (folder, extra flags)}), run in turn, the order
    reversed every other pair."""
    def one(name):
        folder, extra = trees[name]
        return sum(run(folder, flags + extra, scratch)[skip:])
    return alternating(trees, pairs, one, log)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rev", required=True, help="the revision to compare with, e.g. 6aca8ac")
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--flags", default="--recipe improved --seed 1 --max-epoch 1",
                   help="train flags for both trees (default: %(default)s)")
    p.add_argument("--skip-epochs", type=int, default=0, metavar="N",
                   help="leave each run's first N epochs out of the sums (with "
                        "--xla the first epoch carries the one-time compilation)")
    p.add_argument("--new-flags", nargs=argparse.REMAINDER, default=[],
                   help="more flags for this tree only (last on the line)")
    args = p.parse_args(argv)
    flags = args.flags.split()
    with exported(args.rev, "epoch_vs_revision") as (scratch, old):
        trees = {args.rev: (old, []), "this tree": (ROOT, args.new_flags)}
        times = compare(trees, flags, args.pairs, scratch=scratch, log=to_stderr,
                        skip=args.skip_epochs)
    print(f"{cpu_name()}, {os.cpu_count()} cores; train {' '.join(flags)}"
          + (f"; this tree also {' '.join(args.new_flags)}" if args.new_flags else "")
          + (f"; the first {args.skip_epochs} epoch(s) of each run left out"
             if args.skip_epochs else ""))
    for name, ts in times.items():
        print(f"  {name:10s} epoch seconds: {', '.join(f'{t:.2f}' for t in ts)}")
    ratios = [a / b for a, b in zip(times[args.rev], times["this tree"])]
    print(f"  {args.rev} / this tree: {statistics.median(ratios):.2f}x "
          f"(pairs {', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
