"""What every command shares: its name, a parser whose errors are one line,
one style of help, the flags that choose a generator, and ``run_command``,
which ends the process as a command should.

Bad input (``UsageError``), a failed read or write (disk full, read-only, a
file-size limit, a name too long) and Ctrl-C or SIGTERM at any moment
become one line on stderr and an exit status: 2, or 130/143 for the
signals; never a traceback.
"""

import argparse
import contextlib
import os
import signal
import sys
import textwrap

from .config import DEFAULTS
from .errors import UsageError, io_problem


def prog(command):
    """How a user types ``command``, e.g. 'python -m gan_mnist.train'."""
    return f"python -m gan_mnist.{command}"


def exit_with(err, name="gan_mnist"):
    """Print ``err`` as a one-line error of command ``name``; exit status 2."""
    msg = " ".join(str(err).split("\n"))
    print(f"{name}: error: {msg}", file=sys.stderr)
    sys.exit(2)


class HelpFormatter(argparse.HelpFormatter):
    """Plain help: every flag's text ends in ``(default: X)`` when it has a
    default worth showing (``action.shown_default`` when the parser's own
    default is hidden), and a flag name such as --learning-rate is never
    wrapped across lines."""

    def _get_help_string(self, action):
        text = action.help or ""
        shown = getattr(action, "shown_default", action.default)
        hidden = shown is None or shown is argparse.SUPPRESS or isinstance(shown, bool)
        if not hidden and action.option_strings and "(default" not in text:
            text += " (default: %s)" % str(shown).replace("%", "%%")
        return text

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one style of help, and a bad flag gets one line and
    status 2, not the usage."""

    def __init__(self, prog, description, **kw):
        # No abbreviations: --out must never be taken for --output.
        kw.setdefault("allow_abbrev", False)
        super().__init__(prog=prog, description=description,
                         formatter_class=HelpFormatter, **kw)

    def error(self, message):
        exit_with(f"{message}; see --help", self.prog)


def add_source_flags(parser, verb):
    """``--output``, ``--checkpoint`` and ``--pretrained``: which generator a
    command ``verb``s (e.g. "evaluate"), the same way for every command.
    ``--output`` parses to None when not given (``source_flags`` fills in
    the default), so that two sources given at once can be refused."""
    action = parser.add_argument("--output", help=f"run folder whose newest "
                                 f"checkpoint to {verb}")
    action.shown_default = DEFAULTS["output"]
    parser.add_argument("--checkpoint", metavar="PREFIX",
                        help=f"a checkpoint to {verb} instead, e.g. output/model-500")
    parser.add_argument("--pretrained", action="store_true",
                        help=f"{verb} the generator that ships with the package "
                             "(no run folder needed)")


def add_sampling_flags(parser):
    """``--rejection P`` (filter G's samples by its D: sampling.rejection)
    and ``--refine N`` (move each sample's noise by N steps on D's energy:
    sampling.refine)."""
    parser.add_argument("--rejection", type=float, metavar="P",
                        help="discriminator rejection sampling: keep samples by "
                             "the run's D, gamma at the P-th percentile (e.g. 50); "
                             "needs a checkpoint, or the pretrained file's D")
    parser.add_argument("--refine", type=int, metavar="N",
                        help="move each sample's noise by N gradient steps towards "
                             "what the run's D finds real, before G draws it (e.g. 30; "
                             "after --rejection when both are given); needs a "
                             "checkpoint, or the pretrained file's D")


def source_flags(args, others=()):
    """Check that at most one generator source was given (``--output``,
    ``--checkpoint``, ``--pretrained`` and the flags ``others``, e.g.
    {"--images": args.images}); then fill in ``args.output``'s default.
    Raises UsageError naming the two flags."""
    given = [flag for flag, value in (("--output", args.output),
                                      ("--checkpoint", args.checkpoint),
                                      ("--pretrained", args.pretrained),
                                      *dict(others).items()) if value]
    if len(given) > 1:
        raise UsageError(f"{given[0]} and {given[1]}: two sources of images; "
                         "give one")
    if args.output is None:
        args.output = DEFAULTS["output"]
    return args


def refuse_inert(pairs):
    """Raise UsageError for the first (flag, given, needed, why) whose flag
    was given although the flag it needs was not: a flag that would do
    nothing is an error, not a silence."""
    for flag, given, needed, why in pairs:
        if given and not needed:
            raise UsageError(f"{flag}: {why}")


class Guarded:
    """A text stream (sys.stdout or sys.stderr) whose loss ends the printing,
    not the command: a terminal closed, a pipe whose reader left (``| head
    -1``), a full disk, or no stream at all (Python's None for a closed
    file descriptor). After the first failed write every write is dropped,
    and the descriptor is pointed at /dev/null, so that nothing (Python's
    flush at exit included) fails on it again."""

    def __init__(self, stream, fd):
        self.stream, self.fd = stream, fd
        self.lost = stream is None

    def write(self, text):
        if not self.lost:
            try:
                return self.stream.write(text)
            except (OSError, ValueError):
                self._lose()
        return len(text)

    def flush(self):
        if not self.lost:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self._lose()

    def isatty(self):
        return not self.lost and getattr(self.stream, "isatty", lambda: False)()

    def _lose(self):
        self.lost = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fd)
            os.close(null)
        except OSError:
            pass

    def __getattr__(self, name):  # encoding, fileno, ...: the stream's
        return getattr(self.stream, name)


def guard_streams():
    """Wrap sys.stdout and sys.stderr in ``Guarded`` (once)."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        if not isinstance(getattr(sys, name), Guarded):
            setattr(sys, name, Guarded(getattr(sys, name), fd))


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM back while the block runs (a few seconds of
    file writes that a signal should not cut into the middle of a library's
    code); a signal that came meanwhile is acted on when the block ends."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt is for SIGINT."""


def _raise_terminated(signum, frame):
    raise Terminated()


def run_command(name, body, interrupted=None):
    """Run ``body()`` and end the process as a command should: on bad input
    or a failed write one line and status 2, on Ctrl-C (SIGINT) or SIGTERM a
    short line and 130 or 143. ``interrupted()`` may return a sentence to add
    to that line (how to resume). Returns what ``body`` returns."""
    guard_streams()
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return body()
    except UsageError as e:
        exit_with(e, name)
    except (KeyboardInterrupt, Terminated) as e:
        signame, status = (("SIGTERM", 143) if isinstance(e, Terminated)
                           else ("Ctrl-C", 130))
        extra = interrupted() if interrupted else None
        print(f"{name}: stopped by {signame}" + (f"; {extra}" if extra else ""),
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
        exit_with(line, name)
    finally:
        signal.signal(signal.SIGTERM, previous)
