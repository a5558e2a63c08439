"""One process at a time in a run folder.

``lock`` takes an exclusive ``fcntl.flock`` on the folder's lock file,
which records the holder's process id; the operating system releases it
when the process ends, however it ends, so a stale lock never blocks.
"""

import contextlib
import errno
import fcntl
import os

from ..errors import UsageError
from .names import LOCK_FILE


def holder(path):
    """None when no live process holds an flock on the file ``path`` (or it
    is absent, or a link, which ``lock`` refuses), else the first word the
    holder wrote in it: its process id ("unknown" if none). Tested with a
    shared lock, dropped at once; creates nothing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None
    except BlockingIOError:
        words = os.pread(fd, 256, 0).decode("utf-8", "replace").split()
        return words[0] if words else "unknown"
    finally:
        os.close(fd)


def check_free(folder):
    """Raise UsageError when another process holds ``folder`` (see ``lock``);
    creates nothing. Called before the folder is surveyed, so that a second
    run meets this one clear line rather than the other run's changing files."""
    pid = holder(os.path.join(folder, LOCK_FILE))
    if pid is not None:
        raise _in_use(folder, pid)


def _try_flock(fd, folder, kind):
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        raise _in_use(folder, pid or "unknown") from None


def _in_use(folder, pid):
    return UsageError(f"--output {folder}: in use by another run (process {pid}); "
                      "wait for it to end or choose another --output")


def _open(folder, flags):
    """The folder's lock file opened with ``flags``, never through a link."""
    try:
        return os.open(os.path.join(folder, LOCK_FILE), flags | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UsageError(f"--output {folder}: {LOCK_FILE} is a symbolic link; "
                             "remove it") from None
        raise


@contextlib.contextmanager
def lock(folder, create=True):
    """Hold ``folder`` for this process: an exclusive, non-blocking flock on
    its lock file, which records the holder's process id. Raises UsageError
    naming the folder and the holder when another process has it. With
    ``create`` the folder is made if needed."""
    if create:
        os.makedirs(folder, exist_ok=True)
    fd = _open(folder, os.O_RDWR | os.O_CREAT)
    try:
        _try_flock(fd, folder, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def shared(folder):
    """Hold ``folder`` against a training for the block (a shared flock on
    its lock file, so that several readers may), without creating the lock
    file where there is none: a folder that holds no run gets no file."""
    try:
        fd = _open(folder, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        _try_flock(fd, folder, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
