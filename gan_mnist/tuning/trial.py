"""One configuration as a train subprocess in its folder, its figures
collected as it goes.

``run(output, flags, ...)`` starts ``python -m gan_mnist.train --output
OUTPUT FLAGS`` (with ``--restore`` when the folder holds a checkpoint, so a
run cut short goes on exactly where it was), reads ``OUTPUT/metrics.csv``
every ``poll`` seconds and calls ``on_evaluation(epochs_done, minutes,
row)`` once for each evaluated epoch; a true return stops the child with
SIGTERM (it finishes its step, keeps its checkpoint and exits). It returns
an ``Outcome``. Nothing here knows about Optuna: any script can run a
configuration through it.

The child cannot outlive its parent: it is started through a few lines of
Python that ask Linux to send it SIGTERM when the parent dies
(``prctl(PR_SET_PDEATHSIG)``), then exec the train command. So a worker
killed with SIGKILL leaves no training behind, only a checkpoint to resume.
"""

import collections
import os
import shlex
import signal
import subprocess
import sys
import time

from ..errors import UsageError
from ..rundir import checkpoints, names
from ..rundir.metrics_csv import read_rows
from . import claims

Outcome = collections.namedtuple("Outcome", "status returncode rows line")
Outcome.__doc__ = """How a run ended. ``status``: "complete" (exit 0),
"stopped" (on_evaluation asked), "interrupted" (a signal the caller did not
send), "refused" (exit 2: bad flags or folder, one line) or "failed"
(diverged or crashed); ``rows``: metrics.csv's rows; ``line``: the last
line of its log (the reason, when it failed)."""

# Started as `python -c _GUARD PARENT_PID ARGV...`: set the parent-death
# signal, give up if the parent is already gone, then become the command.
# (A preexec_fn could do the same, but is unsafe in a threaded parent.)
_GUARD = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "except (OSError, AttributeError):\n"
    "    pass  # not Linux: no parent-death signal\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(143)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n")


def die_with_parent():
    """Ask Linux to send this process SIGTERM when its parent ends (for the
    worker processes of ``tune --jobs N``)."""
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def thread_env(threads):
    """The environment that tells TensorFlow how many threads to use (it
    reads both variables when its runtime starts); {} for its default."""
    if not threads:
        return {}
    return {"TF_NUM_INTRAOP_THREADS": str(threads),
            "TF_NUM_INTEROP_THREADS": str(threads)}


def shell_command(output, flags, threads=None):
    """The train command as one line for a shell, environment first: what
    reproduces the run from scratch."""
    env = " ".join(f"{k}={v}" for k, v in thread_env(threads).items())
    words = ["python", "-m", "gan_mnist.train", "--output", output, *flags]
    return (env + " " if env else "") + shlex.join(words)


def has_checkpoint(output):
    return checkpoints.latest(output) is not None


def read_metrics(output):
    """metrics.csv's rows as dicts of floats (``epoch`` an int); [] when
    there is none yet, or none readable. The train command writes it whole
    (temporary name, then rename), so a row is there or not, never half."""
    try:
        return read_rows(os.path.join(output, names.METRICS_FILE))
    except (OSError, UsageError):
        return []


def evaluations(rows, figure):
    """[(epochs done, training minutes by then, row)] for every row that
    holds ``figure``; minutes are the rows' ``seconds`` summed
    (evaluations excluded, as metrics.csv counts them)."""
    out, seconds = [], 0.0
    for row in sorted(rows, key=lambda r: r["epoch"]):
        seconds += row.get("seconds", 0.0)
        if figure in row:
            out.append((row["epoch"] + 1, seconds / 60, row))
    return out


def _last_line(log):
    try:
        with open(log, "rb") as f:
            f.seek(max(0, os.path.getsize(log) - 4096))
            lines = [ln.strip() for ln in f.read().decode("utf-8", "replace").splitlines()]
    except OSError:
        return ""
    lines = [ln for ln in lines if ln]
    return lines[-1] if lines else ""


def _stop(proc, after_ctrl_c):
    """End the child and wait for it: after Ctrl-C it has had SIGINT from
    the terminal too, so give it a moment before SIGTERM; SIGKILL only if
    it hangs."""
    for sig, wait in ((None, 10 if after_ctrl_c else 0), (signal.SIGTERM, 60),
                      (signal.SIGKILL, 10)):
        if sig is not None:
            proc.send_signal(sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for_run_lock(output, on_poll, timeout):
    """A child of a killed worker may still be finishing its step; the new
    one must not start before it has let go of the folder."""
    deadline = time.time() + timeout
    while True:
        holder = claims.run_lock_holder(output)
        if holder is None:
            return
        if time.time() > deadline:
            raise UsageError(f"{output}: process {holder} trains in it; stop "
                             "that process, then start again")
        if on_poll:
            on_poll()
        time.sleep(0.5)


def run(output, flags, *, figure="fid", threads=None, log=None,
        on_evaluation=None, on_poll=None, seen=(), poll=0.25, cwd=None,
        lock_timeout=120):
    """Train (or resume) the run in ``output`` with the train ``flags``;
    returns an ``Outcome``.

    ``threads``: TensorFlow's thread pools' size for the child (None: its
    default); ``log``: file that takes the child's output (appended to);
    ``seen``: epochs already handed to ``on_evaluation`` (by an earlier
    attempt), not handed again; ``on_poll()``: called between polls (a
    heartbeat). An exception from a callback, Ctrl-C or SIGTERM stops the
    child, waits for it and goes on up.
    """
    argv = [sys.executable, "-m", "gan_mnist.train", "--output", output, *flags]
    if has_checkpoint(output):
        argv.append("--restore")
    _wait_for_run_lock(output, on_poll, lock_timeout)
    out = open(log, "a", encoding="utf-8") if log else None
    if out:
        out.write(f"== {time.strftime('%Y-%m-%dT%H:%M:%S')} pid {os.getpid()}: "
                  f"{shlex.join(argv[1:])}\n")
        out.flush()
    seen, stopped = set(seen), False
    proc = subprocess.Popen(
        [sys.executable, "-c", _GUARD, str(os.getpid()), *argv],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT if out else None,
        env=dict(os.environ, **thread_env(threads)), cwd=cwd)
    try:
        while True:
            code = proc.poll()  # before reading: rows written before exit are seen
            rows = read_metrics(output)
            for step, minutes, row in evaluations(rows, figure):
                if step not in seen:
                    seen.add(step)
                    if on_evaluation and on_evaluation(step, minutes, row):
                        stopped = True
                        break
            if stopped or code is not None:
                break
            if on_poll:
                on_poll()
            time.sleep(poll)
    finally:
        if proc.poll() is None:
            _stop(proc, sys.exc_info()[0] is KeyboardInterrupt)
        if out:
            out.close()
    code = proc.returncode
    status = ("stopped" if stopped else "complete" if code == 0 else
              "interrupted" if code in (130, 143) or code < 0 else
              "refused" if code == 2 else "failed")
    return Outcome(status, code, read_metrics(output), _last_line(log) if log else "")
