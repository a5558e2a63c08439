"""The names of every file a run folder holds: the one registry.

Training, the other commands and the deletion policy (``survey``) all take
a run file's name from here, so a name is written once. The files are
those this package, the tutorial's script or TensorFlow's Saver write:

  sample<E>.jpg, random_sample<E>.jpg   the grids after epoch E (from 0)
  model-<N>.index/.meta/.data-*         the checkpoint after N epochs
  checkpoint                            the Saver's list of checkpoints
  metrics.csv, config.json, fixed_noise.npy
  losses.png, progress.gif              the pictures
  model-<N>[.raw][.rejection<P>][.refine<S>].eval.json  by ``evaluate``
  logs/                                 TensorBoard event files
  set-aside-<K>-<time>/                 later epochs set aside by --branch
  .gan_mnist.lock                       the lock of the process using it

and the temporary names of writes that a crash cut short.
"""

import os
import re

CHECKPOINT_PREFIX = "model"
CHECKPOINT_LIST = "checkpoint"
CONFIG_FILE = "config.json"
FIXED_NOISE_FILE = "fixed_noise.npy"
METRICS_FILE = "metrics.csv"
LOSSES_FILE = "losses.png"
GIF_FILE = "progress.gif"
LOCK_FILE = ".gan_mnist.lock"
LOGS_DIR = "logs"  # TensorBoard event files only
SET_ASIDE_PREFIX = "set-aside-"  # + epochs kept + time: see history.set_aside


def sample_grid(epoch):
    """The fixed-noise grid after ``epoch`` (counted from 0)."""
    return f"sample{epoch}.jpg"


def random_grid(epoch):
    """The fresh-noise grid after ``epoch``."""
    return f"random_sample{epoch}.jpg"


def checkpoint(epochs):
    """The prefix (no folder) of the checkpoint after ``epochs`` epochs."""
    return f"{CHECKPOINT_PREFIX}-{epochs}"


def evaluation(prefix, raw=False, rejection=None, refine=None):
    """The JSON ``evaluate`` writes beside checkpoint ``prefix`` (a path);
    ``raw``: of G's own weights rather than their average; ``rejection``:
    of samples drawn with --rejection at that percentile; ``refine``: with
    --refine of that many steps."""
    return (prefix + (".raw" if raw else "")
            + (f".rejection{rejection:g}" if rejection is not None else "")
            + (f".refine{refine}" if refine else "") + ".eval.json")


SAMPLE_GRID = re.compile(r"sample(\d+)\.jpg$")
SET_ASIDE = re.compile(re.escape(SET_ASIDE_PREFIX) + r"\d+-\d{8}T\d{6}$")
_EPOCH_FILE = re.compile(r"(?:(random_)?sample(?P<grid>\d+)\.jpg"
                         r"|model-(?P<ckpt>\d+)\..+)$")
CHECKPOINT_INDEX = re.compile(re.escape(CHECKPOINT_PREFIX) + r"-(\d+)\.index$")

_RUN_FILE = re.compile(
    r"(sample\d+\.jpg|random_sample\d+\.jpg"
    r"|model-\d+\.(index|meta|data-\d{5}-of-\d{5})"
    r"|model-\d+(\.raw)?(\.rejection[0-9.]+)?(\.refine\d+)?\.eval\.json|"
    + "|".join(re.escape(n) for n in (CHECKPOINT_LIST, METRICS_FILE, CONFIG_FILE,
                                      FIXED_NOISE_FILE, LOSSES_FILE, GIF_FILE,
                                      LOCK_FILE))
    + r")$")
# Writes cut short: fileio.atomic_path's names (mkstemp: 8 characters),
# TensorFlow's atomic writes (32 hex digits) and its checkpoint shards.
_LEFTOVER = re.compile(
    r"(\.(?P<ours>.+)\.[a-z0-9_]{8}\.tmp(\.[a-z]+)?"
    r"|(checkpoint|model-\d+\.meta)\.tmp[0-9a-f]{32}"
    r"|model-\d+\.(index|data-\d{5}-of-\d{5})\.tempstate\d+)$")
TEMP_DIR = re.compile(r"model-\d+_temp$")   # the Saver's shards before merging
TEMP_PART = re.compile(r"part-\d{5}-of-\d{5}\.(index|data-\d{5}-of-\d{5})"
                       r"(\.tempstate\d+)?$")
EVENT_FILE = re.compile(r"events\.out\.tfevents\.\d+(\.\d+)?\..+$")


def epoch_of(name):
    """The epochs done when the file ``name`` was written: N for model-N.*
    (checkpoint files and evaluations), E + 1 for the grids of epoch E;
    None for any other file."""
    m = _EPOCH_FILE.match(name)
    if not m:
        return None
    return int(m.group("ckpt")) if m.group("ckpt") else int(m.group("grid")) + 1


def holds_run(folder):
    """True if ``folder`` holds a run: its config.json, metrics.csv or a
    checkpoint's index."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return False
    return any(n in (CONFIG_FILE, METRICS_FILE) or CHECKPOINT_INDEX.match(n)
               for n in entries)


def is_run_file(name):
    """True if ``name`` (a bare file name) is one this package or
    TensorFlow's Saver writes, or a temporary name of such a write."""
    return bool(_RUN_FILE.match(name)) or is_leftover(name)


def is_leftover(name):
    """True if ``name`` is the temporary file of a write cut short."""
    m = _LEFTOVER.match(name)
    if not m:
        return False
    return not m.group("ours") or bool(_RUN_FILE.match(m.group("ours")))
