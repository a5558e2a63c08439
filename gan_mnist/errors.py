"""The error type that the command-line entry points report in one line."""

import argparse
import sys


class UsageError(Exception):
    """Bad input from the user: a flag, a file or a folder.

    The message is one line that names the flag, file or value and says what
    to do. Entry points catch it, print ``gan_mnist: error: <message>`` to
    stderr and exit with status 2; no traceback is shown.
    """


def exit_with(err, prog="gan_mnist"):
    """Print ``err`` as a one-line error and exit with status 2."""
    msg = " ".join(str(err).split("\n"))
    print(f"{prog}: error: {msg}", file=sys.stderr)
    sys.exit(2)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line and status 2, not the usage."""

    def error(self, message):
        exit_with(f"{message}; see --help", self.prog)
