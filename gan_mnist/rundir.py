"""What a run folder (``--output``) holds, and how to look after it.

Only files that this package (or the seed script) writes count as the run's:
grids, checkpoints, the checkpoint index, metrics, configuration, fixed
noise, and the temporary names of half-finished writes. Anything else in the
folder is the user's, and is never deleted.
"""

import os
import re

from .errors import UsageError

CHECKPOINT_PREFIX = "model"
FIXED_NOISE_FILE = "fixed_noise.npy"
METRICS_FILE = "metrics.csv"

_RUN_FILE = re.compile(
    r"(sample\d+\.jpg|random_sample\d+\.jpg"
    r"|model-\d+\.(index|meta|data-\d+-of-\d+)|model-\d+_temp.*"
    r"|checkpoint|metrics\.csv|config\.json|fixed_noise\.npy"
    r"|losses\.png|progress\.gif|model-\d+(\.raw)?\.eval\.json)$")
LOGS_DIR = "logs"  # TensorBoard event files only
_EVENT_FILE = re.compile(r"events\.out\.tfevents\..+$")
# atomic writes (fileio.atomic_path) and TensorFlow's own temporary files
_TEMP_FILE = re.compile(r"\.(?P<base>.+)\.\w{8}\.tmp.*$|(?P<tf>.+)\.tmp[0-9a-f]+$")


def is_run_file(name):
    """True if ``name`` (a bare file name) is one this package writes."""
    if _RUN_FILE.match(name):
        return True
    m = _TEMP_FILE.match(name)
    return bool(m) and bool(_RUN_FILE.match(m.group("base") or m.group("tf")))


def _is_logs_dir(path):
    return os.path.isdir(path) and all(
        _EVENT_FILE.match(n) and os.path.isfile(os.path.join(path, n))
        for n in os.listdir(path))


def foreign_entries(folder):
    """Names in ``folder`` that the package did not write, sorted. The
    ``logs`` folder counts as the package's while it holds only event files."""
    return sorted(n for n in os.listdir(folder)
                  if not is_run_file(n)
                  and not (n == LOGS_DIR and _is_logs_dir(os.path.join(folder, n))))


def check_writable(folder, flag="--output"):
    """Raise UsageError unless ``folder`` is, or can become, a writable folder."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"{flag} {folder}: is a file, not a folder; "
                         "name a folder")
    probe = os.path.abspath(folder)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise UsageError(f"{flag} {folder}: {probe} is a file, so the folder "
                         "cannot be made; choose another path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {folder}: {probe} is not writable; "
                         "choose another folder")


def check_fresh(folder):
    """Before a new run: refuse a folder that holds anything not the package's.

    The seed deletes the whole output folder; this deletes only the run
    files, and only when nothing else would go with them.
    """
    check_writable(folder)
    if os.path.isdir(folder):
        foreign = foreign_entries(folder)
        if foreign:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            raise UsageError(
                f"--output {folder}: holds {foreign[0]!r}{more}, which this "
                "package did not write; move it away or choose another "
                "--output (nothing was deleted)")


def clear(folder):
    """Delete the run files in ``folder`` (after ``check_fresh``); create the
    folder if needed. Returns the number of files deleted."""
    os.makedirs(folder, exist_ok=True)
    removed = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name == LOGS_DIR and _is_logs_dir(path):
            for part in os.listdir(path):
                os.remove(os.path.join(path, part))
            os.rmdir(path)
            removed += 1
        elif is_run_file(name):
            if os.path.isdir(path):
                # TensorFlow's temporary checkpoint folder: only its own parts.
                for part in os.listdir(path):
                    os.remove(os.path.join(path, part))
                os.rmdir(path)
            else:
                os.remove(path)
            removed += 1
    return removed
