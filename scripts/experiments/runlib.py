"""Helpers shared by the scripts that train several configurations
(``ablation.py``, ``time_to_quality.py``): train or resume one run in its
folder through the tuner's trial runner (``gan_mnist.tuning.trial``, one
way to run a configuration and collect its figures), and read what it
reached."""

import os

from gan_mnist.tuning import trial

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train_run(folder, flags, seed, max_epoch, eval_every, eval_num, limit=None,
              stop_after=None):
    """Train ``python -m gan_mnist.train`` with ``flags`` in ``folder`` up to
    ``max_epoch`` epochs (or only to ``stop_after``, the schedule still
    spanning ``max_epoch``), resuming what an earlier call left there;
    returns its metrics rows up to where it stopped."""
    flags = ["--seed", str(seed), "--max-epoch", str(max_epoch),
             "--eval-every", str(eval_every), "--eval-num", str(eval_num), *flags]
    if limit:
        flags += ["--limit", str(limit)]
    if stop_after and stop_after < max_epoch:
        flags += ["--stop-after", str(stop_after)]
        max_epoch = stop_after
    print(f"== {folder}: {' '.join(flags)}", flush=True)
    # Resumes a run cut short (--restore), and its child never outlives
    # this script.
    try:
        outcome = trial.run(folder, flags, cwd=ROOT)
    except KeyboardInterrupt:  # the child stopped at its own checkpoint
        raise SystemExit(f"{folder}: stopped; the same command resumes it") from None
    if outcome.status != "complete":
        raise SystemExit(f"{folder}: the run ended {outcome.status} "
                         f"(exit status {outcome.returncode})")
    return [r for r in outcome.rows if r["epoch"] < max_epoch]


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
