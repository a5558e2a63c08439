"""Timing on a shared machine: one thing in blocks (the median block),
several things in turn, in alternating order, with the time left shown,
and the name of the CPU that every figure is published beside."""

import platform
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


def cpu_name(cpuinfo="/proc/cpuinfo"):
    """The CPU's model name, family and model, and its widest vector
    instructions, from Linux's ``cpuinfo``: e.g. "AMD EPYC (family 25
    model 1, AVX2)". Virtual machines often show one generic model name
    for CPU generations that differ in speed, so the family, the model and
    the instruction set are what tell two of them apart. Else what
    ``platform`` knows, else "unknown CPU"."""
    fields = {}
    try:
        with open(cpuinfo) as f:
            for line in f:
                key, sep, value = line.partition(":")
                if not sep:
                    if fields:  # the first processor's block is enough
                        break
                    continue
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name")
    if not name:
        return platform.processor() or "unknown CPU"
    flags = set(fields.get("flags", "").split())
    isa = [label for label, flag in (("AVX-512", "avx512f"), ("AVX2", "avx2"))
           if flag in flags][:1]
    isa += [label for label, flag in (("avx512_bf16", "avx512_bf16"), ("AMX", "amx_tile"))
            if flag in flags]
    where = [f"family {fields['cpu family']} model {fields['model']}"
             if "cpu family" in fields and "model" in fields else None]
    details = ", ".join(d for d in where + isa if d)
    return f"{name} ({details})" if details else name


def to_stderr(line):
    print(line, file=sys.stderr, flush=True)
