"""Errors that the commands report in one line, and the wrapper that does it.

Every command runs its body through ``run_command``: bad input
(``UsageError``), a failed write (disk full, read-only, a file-size limit, a
name too long) and Ctrl-C or SIGTERM at any moment become one line on
stderr and an exit status (2, or 130/143 for the signals); no traceback.
"""

import argparse
import errno
import os
import re
import signal
import sys


class UsageError(Exception):
    """Bad input from the user: a flag, a file or a folder.

    The message is one line that names the flag, file or value and says what
    to do. Entry points catch it, print ``<prog>: error: <message>`` to
    stderr and exit with status 2; no traceback is shown.
    """


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt is for SIGINT."""


def exit_with(err, prog="gan_mnist"):
    """Print ``err`` as a one-line error and exit with status 2."""
    msg = " ".join(str(err).split("\n"))
    print(f"{prog}: error: {msg}", file=sys.stderr)
    sys.exit(2)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line and status 2, not the usage."""

    def error(self, message):
        exit_with(f"{message}; see --help", self.prog)


_CAUSES = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.EROFS: "the file system is read-only",
           errno.EFBIG: "the file is too large (a file-size limit)",
           errno.ENAMETOOLONG: "the name is too long",
           errno.EACCES: "permission denied", errno.EPERM: "permission denied"}
# TensorFlow's errors that mean a file could not be read or written.
_TF_IO_ERRORS = ("ResourceExhaustedError", "PermissionDeniedError",
                 "FailedPreconditionError", "DataLossError", "OutOfRangeError",
                 "NotFoundError", "UnknownError", "AbortedError")


def io_problem(err):
    """One line saying which file could not be read or written and why, for
    an OSError or TensorFlow's file errors; None for anything else."""
    if isinstance(err, OSError):
        cause = _CAUSES.get(err.errno, err.strerror or type(err).__name__)
        return f"{err.filename or 'a file'}: {cause}"
    if type(err).__name__ in _TF_IO_ERRORS and hasattr(err, "message"):
        # TensorFlow's message wraps the cause ("<file>; File too large") in
        # lines about the graph node; keep the cause.
        lines = [line.strip() for line in str(err.message).splitlines()]
        causes = [line for line in lines if line and not line.startswith(
            ("Graph execution error", "Detected at node", 'File "', "Node:", "[["))]
        text = re.sub(r"\.tempstate\d+", "", causes[-1] if causes else type(err).__name__)
        return f"{text[:300]}; the newest complete checkpoint is unchanged"
    return None


def _raise_terminated(signum, frame):
    raise Terminated()


def run_command(prog, body, interrupted=None):
    """Run ``body()`` and end the process as a command should: on bad input
    or a failed write one line and status 2, on Ctrl-C (SIGINT) or SIGTERM a
    short line and 130 or 143. ``interrupted()`` may return a sentence to add
    to that line (how to resume). Returns what ``body`` returns."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return body()
    except UsageError as e:
        exit_with(e, prog)
    except (KeyboardInterrupt, Terminated) as e:
        name, status = (("SIGTERM", 143) if isinstance(e, Terminated)
                        else ("Ctrl-C", 130))
        extra = interrupted() if interrupted else None
        print(f"{prog}: stopped by {name}" + (f"; {extra}" if extra else ""),
              file=sys.stderr)
        if isinstance(e, KeyboardInterrupt):
            # A Ctrl-C that lands in code a C extension runs through
            # PyRun_* (TensorFlow's import does) marks it unhandled inside
            # CPython, which then ends the process by SIGINT whatever status
            # is asked for. Leave at once with the status instead; every
            # file is already whole (written under a temporary name).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        sys.exit(status)
    except Exception as e:
        line = io_problem(e)
        if line is None:
            raise
        exit_with(line, prog)
    finally:
        signal.signal(signal.SIGTERM, previous)
