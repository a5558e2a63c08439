"""Helpers shared by the scripts that train several configurations
(``ablation.py``, ``time_to_quality.py``): train or resume one run in its
folder, and read what it reached."""

import os
import subprocess
import sys

from gan_mnist.rundir import checkpoints, names
from gan_mnist.rundir.metrics_csv import read_rows

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train_run(folder, flags, seed, max_epoch, eval_every, eval_num, limit=None,
              stop_after=None):
    """Train ``python -m gan_mnist.train`` with ``flags`` in ``folder`` up to
    ``max_epoch`` epochs (or only to ``stop_after``, the schedule still
    spanning ``max_epoch``), resuming what an earlier call left there;
    returns its metrics rows up to where it stopped."""
    cmd = [sys.executable, "-m", "gan_mnist.train", "--output", folder,
           "--seed", str(seed), "--max-epoch", str(max_epoch),
           "--eval-every", str(eval_every), "--eval-num", str(eval_num), *flags]
    if limit:
        cmd += ["--limit", str(limit)]
    if stop_after and stop_after < max_epoch:
        cmd += ["--stop-after", str(stop_after)]
        max_epoch = stop_after
    if os.path.isdir(folder) and checkpoints.latest(folder):
        cmd.append("--restore")
    print(f"== {folder}: {' '.join(cmd[3:])}", flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    rows = read_rows(os.path.join(folder, names.METRICS_FILE))
    return [r for r in rows if r["epoch"] < max_epoch]


def at(rows, epochs):
    """The evaluated row after ``epochs`` epochs, or None."""
    return next((r for r in rows if r["epoch"] + 1 == epochs and "fid" in r), None)


def first_reached(rows, target):
    """(epochs, training seconds) when the rows first meet ``target``, a
    dict {figure: (">=" or "<=", value)}; training seconds exclude the
    evaluations. None if never."""
    seconds = 0.0
    for r in rows:
        seconds += r["seconds"]
        if "fid" in r and all(r[k] >= v if op == ">=" else r[k] <= v
                              for k, (op, v) in target.items()):
            return r["epoch"] + 1, seconds
    return None
