"""What a run folder (``--output``) holds, who may use it, and what may be
deleted from it.

The run's own files are those this package, the seed script or TensorFlow's
Saver write, by exact name: grids, checkpoints and their index, metrics,
configuration, fixed noise, pictures, evaluations, the ``logs`` folder of
TensorBoard events, the lock file, and the temporary names of writes that a
crash cut short. Only regular files with such names are ever deleted, never
through a symbolic link, and only folders that hold nothing else; anything
in doubt stops the run with one line and nothing is deleted.

One process at a time uses a folder: ``lock`` takes an exclusive
``fcntl.flock`` on its lock file, which the operating system releases when
the process ends, however it ends.
"""

import collections
import contextlib
import errno
import fcntl
import os
import re
import stat

from .errors import UsageError

CHECKPOINT_PREFIX = "model"
FIXED_NOISE_FILE = "fixed_noise.npy"
METRICS_FILE = "metrics.csv"
LOCK_FILE = ".gan_mnist.lock"
LOGS_DIR = "logs"  # TensorBoard event files only

_RUN_FILE = re.compile(
    r"(sample\d+\.jpg|random_sample\d+\.jpg"
    r"|model-\d+\.(index|meta|data-\d{5}-of-\d{5})"
    r"|checkpoint|metrics\.csv|config\.json|fixed_noise\.npy"
    r"|losses\.png|progress\.gif|model-\d+(\.raw)?\.eval\.json"
    + "|" + re.escape(LOCK_FILE) + r")$")
# Writes cut short: fileio.atomic_path's names (mkstemp: 8 characters),
# TensorFlow's atomic writes (32 hex digits) and its checkpoint shards.
_LEFTOVER = re.compile(
    r"(\.(?P<ours>.+)\.[a-z0-9_]{8}\.tmp(\.[a-z]+)?"
    r"|(checkpoint|model-\d+\.meta)\.tmp[0-9a-f]{32}"
    r"|model-\d+\.(index|data-\d{5}-of-\d{5})\.tempstate\d+)$")
_TEMP_DIR = re.compile(r"model-\d+_temp$")   # the Saver's shards before merging
_TEMP_PART = re.compile(r"part-\d{5}-of-\d{5}\.(index|data-\d{5}-of-\d{5})"
                        r"(\.tempstate\d+)?$")
_EVENT_FILE = re.compile(r"events\.out\.tfevents\.\d+(\.\d+)?\..+$")

Survey = collections.namedtuple("Survey", [
    "own",        # names of the run's files and folders
    "leftovers",  # of those, the writes that a crash cut short
    "doubtful",   # [(name, why)]: run-like names this package cannot vouch for
    "foreign",    # names of everything else: the user's
])


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


def _kind(path):
    """'file', 'dir', 'link' or 'other', from lstat (links not followed);
    'gone' when the entry vanished since the folder was listed (a write of
    another process renamed its temporary file)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "gone"
    if stat.S_ISLNK(mode):
        return "link"
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


def _folder_doubt(path, name_ok):
    """Why the folder ``path`` cannot be the package's, or None when it
    holds only regular files whose names pass ``name_ok``."""
    for part in sorted(os.listdir(path)):
        kind = _kind(os.path.join(path, part))
        if kind == "gone":
            continue
        if kind != "file":
            return f"holds {part!r}, a {'symbolic link' if kind == 'link' else kind}"
        if not name_ok(part):
            return f"holds {part!r}, which this package did not write"
    return None


def survey(folder):
    """Sort the entries of ``folder`` (which must exist) into a Survey."""
    own, leftovers, doubtful, foreign = [], [], [], []
    for name in sorted(os.listdir(folder)):
        kind = _kind(os.path.join(folder, name))
        if kind == "gone":
            continue
        run_like = (is_run_file(name) or name == LOGS_DIR or _TEMP_DIR.match(name))
        if not run_like:
            foreign.append(name)
        elif kind == "link":
            doubtful.append((name, "is a symbolic link"))
        elif name == LOGS_DIR or _TEMP_DIR.match(name):
            ok = _EVENT_FILE.match if name == LOGS_DIR else _TEMP_PART.match
            why = ("is not a folder" if kind != "dir"
                   else _folder_doubt(os.path.join(folder, name), ok))
            if why:
                doubtful.append((name, why))
            else:
                own.append(name)
                if name != LOGS_DIR:
                    leftovers.append(name)
        elif kind != "file":
            doubtful.append((name, f"is a {kind}, not a file"))
        else:
            own.append(name)
            if is_leftover(name):
                leftovers.append(name)
    return Survey(own, leftovers, doubtful, foreign)


def _refuse_doubt(folder, s):
    if s.doubtful:
        name, why = s.doubtful[0]
        raise UsageError(
            f"--output {folder}: {name!r} {why}; this package deletes only its "
            "own regular files: move it away or choose another --output "
            "(nothing was deleted)")


def check_writable(folder, flag="--output"):
    """Raise UsageError unless ``folder`` is, or can become, a writable folder."""
    if not folder:
        raise UsageError(f"{flag} '': give the name of a folder")
    if os.path.lexists(folder) and not os.path.isdir(folder):
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


def check_new_run(folder, epochs, overwrite=False):
    """Before a new run: refuse a folder that holds anything not the
    package's, anything in doubt, or a run with ``epochs`` > 0 finished
    epochs unless ``overwrite``. Deletes nothing."""
    check_writable(folder)
    if not os.path.isdir(folder):
        return
    s = survey(folder)
    if s.foreign:
        more = f" and {len(s.foreign) - 1} more" if len(s.foreign) > 1 else ""
        raise UsageError(
            f"--output {folder}: holds {s.foreign[0]!r}{more}, which this "
            "package did not write; move it away or choose another "
            "--output (nothing was deleted)")
    _refuse_doubt(folder, s)
    if epochs and not overwrite:
        raise UsageError(
            f"--output {folder}: holds a run of {epochs} epochs; continue it "
            "with --restore, start over with --overwrite (deletes the run's "
            "files), or choose another --output")


def check_resume(folder):
    """Before a resume: refuse anything in doubt in ``folder``."""
    check_writable(folder)
    _refuse_doubt(folder, survey(folder))


def _delete(folder, names):
    """Delete the regular files, and the package's folders of regular
    files, ``names`` in ``folder``; check each with lstat again just before."""
    for name in names:
        path = os.path.join(folder, name)
        if _kind(path) == "dir":
            for part in os.listdir(path):
                if _kind(os.path.join(path, part)) == "file":
                    os.unlink(os.path.join(path, part))
            os.rmdir(path)
        elif _kind(path) == "file":
            os.unlink(path)
    return len(names)


def clear(folder):
    """Delete the run's files in ``folder`` (after ``check_new_run``), all
    but the lock file; create the folder if needed. Returns how many
    entries were deleted."""
    os.makedirs(folder, exist_ok=True)
    s = survey(folder)
    if s.foreign or s.doubtful:  # checked already: changed since, so stop
        raise UsageError(f"--output {folder}: changed while starting; nothing "
                         "was deleted, try again")
    return _delete(folder, [n for n in s.own if n != LOCK_FILE])


def clear_leftovers(folder):
    """Delete the temporary files of writes that a crash cut short (after
    ``check_resume``); returns how many."""
    return _delete(folder, survey(folder).leftovers)


def check_free(folder):
    """Raise UsageError when another process holds ``folder`` (see ``lock``);
    creates nothing. Called before the folder is surveyed, so that a second
    run meets this one clear line rather than the other run's changing files."""
    path = os.path.join(folder, LOCK_FILE)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return  # no lock file (or a link, which ``lock`` refuses): no holder
    try:
        _try_flock(fd, folder, fcntl.LOCK_SH)
    finally:
        os.close(fd)


def _try_flock(fd, folder, kind):
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        raise UsageError(
            f"--output {folder}: in use by another run (process "
            f"{holder or 'unknown'}); wait for it to end or choose another "
            "--output") from None


@contextlib.contextmanager
def lock(folder, create=True):
    """Hold ``folder`` for this process: an exclusive, non-blocking flock on
    its lock file, which records the holder's process id. Raises UsageError
    naming the folder and the holder when another process has it. With
    ``create`` the folder is made if needed."""
    if create:
        os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, LOCK_FILE)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UsageError(f"--output {folder}: {LOCK_FILE} is a symbolic link; "
                             "remove it") from None
        raise
    try:
        _try_flock(fd, folder, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
