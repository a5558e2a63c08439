"""One folder, one run, one history.

A run folder holds one run: its config.json names the run's settings and
random seed, and its checkpoints model-1 ... model-N are the epochs of that
one run. So a resume

- goes on from the newest checkpoint, or from an older one of the same
  folder only with ``--branch``: the later epochs' files (checkpoints, their
  grids, their evaluations, and a copy of metrics.csv) are then set aside in
  a folder ``set-aside-<K>-<time>`` inside the run, never deleted;
- never takes a checkpoint of another folder;
- refuses a run of this package whose config.json is gone (its seed and
  settings would be guessed), while a run of the tutorial's script, which
  never had one, restores as before.

Afterwards the folder again holds one consistent history: metrics rows
0..N-1 and the newest checkpoint at N.
"""

import os
import shutil
import time

from ..errors import UsageError
from . import checkpoints, names


def resume_point(folder, checkpoint=None, branch=False):
    """The checkpoint prefix a resume of ``folder`` goes on from: the newest,
    or ``checkpoint`` (a prefix in ``folder``; older ones need ``branch``).
    Returns (prefix, [epochs of the later checkpoints to set aside]).
    Raises UsageError naming the flag and what to do."""
    found = checkpoints.complete(folder)
    if not found:
        raise UsageError(f"--restore: no checkpoint in {folder!r} (model-N.index "
                         "with its data file); run without --restore to start")
    _check_config(folder)
    if checkpoint is None:
        if branch:
            raise UsageError("--branch: only with --checkpoint, the older "
                             "checkpoint to go on from")
        return found[-1][1], []
    if not os.path.exists(checkpoint + ".index"):
        raise UsageError(f"--checkpoint {checkpoint}: no {checkpoint}.index; "
                         f"give a prefix such as {found[-1][1]}")
    if os.path.realpath(os.path.dirname(os.path.abspath(checkpoint))) != \
            os.path.realpath(folder):
        raise UsageError(f"--checkpoint {checkpoint}: a checkpoint of another folder; "
                         f"a run goes on from its own: give one in {folder}, or "
                         f"--output {os.path.dirname(checkpoint) or '.'}")
    epochs = checkpoints.epochs_of(checkpoint)
    later = [e for e, _ in found if e > epochs]
    if later and not branch:
        raise UsageError(
            f"--checkpoint {checkpoint}: {folder} holds later checkpoints "
            f"({', '.join(names.checkpoint(e) for e in later)}); add --branch to go "
            f"on from {names.checkpoint(epochs)} and set the later epochs aside "
            "(nothing is deleted), or resume from the newest")
    return checkpoint, later


def _check_config(folder):
    """Refuse a run of this package whose config.json is missing."""
    if os.path.lexists(os.path.join(folder, names.CONFIG_FILE)):
        return
    ours = [n for n in (names.METRICS_FILE, names.FIXED_NOISE_FILE)
            if os.path.lexists(os.path.join(folder, n))]
    if ours:
        raise UsageError(
            f"--restore: {folder} holds a run of this package ({ours[0]}) but no "
            f"{names.CONFIG_FILE}: its settings and random seed are unknown; put "
            "config.json back, or start a new run in another --output")


def set_aside(folder, epochs):
    """Move the files of the epochs after ``epochs`` (checkpoints, grids,
    evaluations) and a copy of metrics.csv into a new folder
    ``set-aside-<epochs>-<time>`` in ``folder``; returns its name."""
    aside = f"{names.SET_ASIDE_PREFIX}{epochs}-{time.strftime('%Y%m%dT%H%M%S')}"
    target = os.path.join(folder, aside)
    os.mkdir(target)
    metrics = os.path.join(folder, names.METRICS_FILE)
    if os.path.isfile(metrics):
        shutil.copy2(metrics, os.path.join(target, names.METRICS_FILE))
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not os.path.islink(path) and \
                _after(name, epochs):
            os.replace(path, os.path.join(target, name))
    return aside


def _after(name, epochs):
    """True for a file of an epoch after the first ``epochs`` epochs."""
    e = names.epoch_of(name)
    return e is not None and e > epochs
