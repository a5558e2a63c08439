"""Timing on a shared machine: one thing in blocks (the median block),
several things in turn, in alternating order, with the time left shown.
(The CPU that every figure is published beside: gan_mnist.cpu.cpu_name.)"""

import statistics
import sys
import time


def timed(run, calls, rounds=5):
    """Seconds per call of ``run()``: the median of ``rounds`` blocks of
    ``calls`` calls, after one block of warm-up."""
    blocks = []
    for _ in range(rounds + 1):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        blocks.append((time.perf_counter() - start) / calls)
    return statistics.median(blocks[1:])


def alternating(names, rounds, measure, log=None):
    """{name: [measure(name), one per round]}: each round measures every
    name, in reverse order every other round, so that load drifting over
    the run touches all alike. ``log(line)``, if given, gets a progress
    line with the time left after each measurement."""
    names = list(names)
    times = {name: [] for name in names}
    started, total = time.time(), rounds * len(names)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            times[name].append(measure(name))
            if log:
                done = sum(map(len, times.values()))
                left = (time.time() - started) / done * (total - done)
                log(f"  {done}/{total}: {name} {times[name][-1]:.4g} ({left:.0f} s left)")
    return times


def to_stderr(line):
    print(line, file=sys.stderr, flush=True)
