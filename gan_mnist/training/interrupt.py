"""Ending a run early (by a signal, or when the losses stop being finite),
and how to go on with it.

``SignalFlag`` turns the first SIGINT/SIGTERM into a flag that the training
loop checks between steps, so a run stops with every file whole; a second
signal stops at once. ``Stopped`` carries the message and exit status;
``resume_command`` is the one way every message says how to go on.
"""

import shlex
import signal

from ..cli import prog

EXIT_DIVERGED = 1
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


def resume_command(folder):
    """The command that continues the run in ``folder``."""
    return f"{prog('train')} --output {shlex.quote(folder)} --restore"


def advice(hp):
    """What to say of the run of ``hp`` (HParams) when a signal ended the
    command: how to resume it, that it is complete, or None when it holds
    no finished epoch."""
    from ..rundir import checkpoints
    newest = checkpoints.latest(hp.output)
    if newest is None:
        return None
    done = checkpoints.epochs_of(newest)
    if done >= hp.max_epoch:
        return f"{hp.output} holds the whole run ({done} epochs); nothing to resume"
    return f"resume with: {resume_command(hp.output)}"


class Stopped(Exception):
    """Training stopped early by a signal or a non-finite loss; ``status``
    is the exit status the command ends with."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class SignalFlag:
    """Within the block, SIGINT and SIGTERM set ``signum`` instead of
    raising; the handlers before the block come back after the first signal
    and when the block ends."""

    def __init__(self):
        self.signum = None
        self.old = {}

    def __enter__(self):
        for s in EXIT_SIGNAL:
            self.old[s] = signal.signal(s, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signum = signum
        for s, h in self.old.items():
            signal.signal(s, h)

    def __exit__(self, *exc):
        for s, h in self.old.items():
            signal.signal(s, h)

    def name(self):
        """The signal's name, e.g. 'SIGINT'."""
        return signal.Signals(self.signum).name
