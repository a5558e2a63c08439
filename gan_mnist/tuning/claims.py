"""File locks that tell a live worker from a dead one, on this machine.

A worker holds an exclusive ``fcntl.flock`` on its trial's claim file for as
long as it runs that trial. The operating system drops a flock when its
process ends, however it ends (even SIGKILL), so a claim that can be taken
means its worker is gone: a restarted worker sees that at once, with no
timeout to wait out. The same kind of lock on the study folder makes the
local workers' choices (which trial next) one at a time.

``host_id()`` names this machine, so that a worker only judges claims on
its own file system.
"""

import contextlib
import fcntl
import os
import socket
import time

from ..rundir import lock
from ..rundir.names import LOCK_FILE

CLAIM_FILE = "claim"
CLAIMS_LOG = "claims.log"   # one line per claim: who ran the folder, when
STUDY_LOCK = ".tune.lock"


def host_id():
    """This machine: its host name, and the first digits of
    /etc/machine-id where there is one (two containers may share a host
    name, not a machine id)."""
    name = socket.gethostname()
    try:
        with open("/etc/machine-id", encoding="ascii") as f:
            mid = f.read().strip()[:12]
    except OSError:
        mid = ""
    return f"{name}:{mid}" if mid else name


class Claim:
    """An exclusive hold on a trial folder (``take`` makes one)."""

    def __init__(self, folder, fd):
        self.folder, self._fd = folder, fd

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the flock
            self._fd = None


def take(folder, number):
    """Claim trial folder ``folder`` (made if missing) for trial ``number``;
    None when a live process holds it. Appends a line to its claims.log."""
    os.makedirs(folder, exist_ok=True)
    fd = os.open(os.path.join(folder, CLAIM_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {host_id()}\n".encode())
    with open(os.path.join(folder, CLAIMS_LOG), "a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} trial {number} "
                  f"pid {os.getpid()} host {host_id()}\n")
    return Claim(folder, fd)


def is_free(folder):
    """True when no live process claims ``folder``."""
    return lock.holder(os.path.join(folder, CLAIM_FILE)) is None


def run_lock_holder(output):
    """The process id that holds the train command's lock on ``output``, or
    None when it is free (a train child of a killed worker stops within a
    step, then frees it)."""
    return lock.holder(os.path.join(output, LOCK_FILE))


@contextlib.contextmanager
def study_lock(study_dir):
    """Within the block, no other worker of this study folder chooses a
    trial (they wait: the block only talks to the storage)."""
    os.makedirs(study_dir, exist_ok=True)
    fd = os.open(os.path.join(study_dir, STUDY_LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
