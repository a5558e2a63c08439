"""Errors the commands report in one line: bad input (``UsageError``) and
failed reads and writes of files (``io_problem``). ``cli.run_command``
turns them into that line and exit status 2.
"""

import errno
import re


class UsageError(Exception):
    """Bad input from the user: a flag, a file or a folder.

    The message is one line that names the flag, file or value and says what
    to do. Entry points catch it, print ``<prog>: error: <message>`` to
    stderr and exit with status 2; no traceback is shown.
    """


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
