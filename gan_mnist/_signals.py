"""Ctrl-C and SIGTERM before a command's own handling starts.

``python -m gan_mnist.<command>`` imports this package first, then the
command's module and its imports (numpy's, TensorFlow's), a fraction of a
second in which Python would answer Ctrl-C with a traceback from the middle
of an import. ``quiet(command)`` makes a signal end the process there with
one short line and status 130 or 143; ``cli.run_command`` takes over when
the command's body starts.
"""

import os
import signal


def quiet(command):
    def stop(signum, frame):
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        try:
            os.write(2, f"python -m {command}: stopped by {name}\n".encode())
        except OSError:
            pass
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
