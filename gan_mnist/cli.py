"""What every command shares: its name, a parser whose errors are one line,
one style of help, the flags that choose a generator, and ``run_command``,
which ends the process as a command should.

Bad input (``UsageError``), a failed read or write (disk full, read-only, a
file-size limit, a name too long) and Ctrl-C or SIGTERM at any moment
become one line on stderr and an exit status: 2, or 130/143 for the
signals; never a traceback.
"""

import argparse
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
    command ``verb``s (e.g. "evaluate"), the same way for every command."""
    parser.add_argument("--output", default=DEFAULTS["output"],
                        help=f"run folder whose newest checkpoint to {verb}")
    parser.add_argument("--checkpoint", metavar="PREFIX",
                        help=f"a checkpoint to {verb} instead, e.g. output/model-500")
    parser.add_argument("--pretrained", action="store_true",
                        help=f"{verb} the generator that ships with the package "
                             "(no run folder needed)")


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt is for SIGINT."""


def _raise_terminated(signum, frame):
    raise Terminated()


def run_command(name, body, interrupted=None):
    """Run ``body()`` and end the process as a command should: on bad input
    or a failed write one line and status 2, on Ctrl-C (SIGINT) or SIGTERM a
    short line and 130 or 143. ``interrupted()`` may return a sentence to add
    to that line (how to resume). Returns what ``body`` returns."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
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
