"""How far a long job is: the share done and the time left.

``Meter(out).task(label, total)`` is a context that counts work done
(``tick(n)``). On a terminal it redraws one line in place, at most five
times a second, with the count, the share and the time left; anywhere else
(a log file, a pipe) it prints one line when the task ends, with the time it
took. A meter whose ``out`` is None prints nothing. A stream that can no
longer be written (a closed terminal, a full disk) silences the meter; the
work goes on.
"""

import contextlib
import time


def duration(seconds):
    """Seconds as '7s', '3m05s' or '2h04m'."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Meter:
    """Progress lines for the tasks of one command, written to ``out``."""

    REDRAW = 0.2  # seconds between two redraws of a terminal's line

    def __init__(self, out=None):
        self.out = out
        self.tty = bool(out is not None and getattr(out, "isatty", None)
                        and out.isatty())

    def _write(self, text):
        if self.out is None:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):  # the stream is gone: stop printing
            self.out = None

    @contextlib.contextmanager
    def task(self, label, total):
        """Yield ``tick(n=1)``, to call as work of ``total`` units is done."""
        started = last = time.time()
        done = [0]

        def tick(n=1):
            nonlocal last
            done[0] += n
            now = time.time()
            if not self.tty or now - last < self.REDRAW:
                return
            last = now
            rate = done[0] / max(now - started, 1e-9)
            left = (total - done[0]) / max(rate, 1e-9)
            share = done[0] / total if total else 1.0
            self._write(f"\r{label} {done[0]}/{total}  {share:.0%}  "
                        f"left {duration(left)}\033[K")

        try:
            yield tick
        except BaseException:
            if self.tty:
                self._write("\r\033[K")
            raise
        line = f"{label}: {time.time() - started:.1f} s"
        self._write(f"\r{line}\033[K\n" if self.tty else line + "\n")


SILENT = Meter(None)
