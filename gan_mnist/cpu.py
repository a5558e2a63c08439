"""What this machine's CPU is and can do (Linux's /proc/cpuinfo), and how
much memory it has free (/proc/meminfo).

``cpu_name`` is the name every published figure stands beside;
``check_bfloat16`` refuses ``--precision bfloat16`` where it would only be
emulated; ``check_memory`` refuses work larger than the machine can hold,
before it starts. Nothing here loads TensorFlow.
"""

import os
import platform

from .errors import UsageError

CPUINFO = "/proc/cpuinfo"
# CPU flags of instructions that compute in bfloat16.
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


def first_processor(path=CPUINFO):
    """{field: value} of the first processor's block of ``path``, or None
    when it cannot be read."""
    fields = {}
    try:
        with open(path) as f:
            for line in f:
                key, sep, value = line.partition(":")
                if not sep:
                    if fields:  # the first processor's block is enough
                        break
                    continue
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return None
    return fields


def cpu_flags(path=CPUINFO):
    """(model name, set of CPU feature flags), or (None, None) if unknown.
    Reads x86's ``flags`` and aarch64's ``Features``."""
    fields = first_processor(path)
    if fields is None:
        return None, None
    model = fields.get("model name") or fields.get("Model name")
    return model, set((fields.get("flags") or fields.get("Features") or "").split())


def cpu_name(path=CPUINFO):
    """The CPU's model name, family and model, and its widest vector
    instructions: e.g. "AMD EPYC (family 25 model 1, AVX2)". Virtual
    machines often show one generic model name for CPU generations that
    differ in speed, so the family, the model and the instruction set are
    what tell two of them apart. Else what ``platform`` knows, else
    "unknown CPU"."""
    fields = first_processor(path) or {}
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


MEMINFO = "/proc/meminfo"


def memory_free(path=MEMINFO):
    """Bytes of memory available to a new process (MemAvailable), or of all
    physical memory where that is unknown; None when neither is."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def size_words(n):
    """Bytes as '31 TB', '2.1 GB', '640 MB'."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.2g} {unit}" if n < 10 * scale else f"{n / scale:.0f} {unit}"
    return f"{n} bytes"


def check_memory(need, what, fix):
    """Raise UsageError when ``need`` bytes are more than this machine has
    free: "<what>: would take 31 TB, more than the 22 GB free here; <fix>"."""
    free = memory_free()
    if free is not None and need > free:
        raise UsageError(f"{what}: would take {size_words(need)}, more than the "
                         f"{size_words(free)} free here; {fix}")


def check_bfloat16():
    """Raise UsageError unless --precision bfloat16 can run natively here:
    a CPU with bfloat16 instructions and TensorFlow's oneDNN on (without
    them TensorFlow would emulate bfloat16, slower than float32)."""
    model, flags = cpu_flags()
    if flags is None:
        raise UsageError("--precision bfloat16: cannot read this CPU's features "
                         f"({CPUINFO}); use --precision float32")
    if not set(BFLOAT16_FLAGS) & flags:
        raise UsageError(
            f"--precision bfloat16: this CPU ({model or 'unknown'}) has no bfloat16 "
            f"instructions ({', '.join(BFLOAT16_FLAGS[:2])}); it would only be "
            "emulated, slower than float32; use --precision float32")
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0":
        raise UsageError("--precision bfloat16 needs TensorFlow's oneDNN, which "
                         "TF_ENABLE_ONEDNN_OPTS=0 turns off; unset it")
