"""``metrics.csv``: one row per finished epoch, rewritten whole each epoch.

Rewriting the small file atomically (rather than appending) means a row is
either all there or absent, whatever moment training is killed at; a resume
keeps only the rows of epochs its checkpoint covers.
"""

import csv
import io
import os

from ..errors import UsageError
from ..fileio import write_text

COLUMNS = ["epoch", "d_loss", "g_loss", "d_real", "d_fake", "seconds"]


def read_rows(path):
    """Rows of an existing metrics.csv as dicts of floats ([] if none).

    ``epoch`` is an int. Rows that do not parse are dropped; a file that is
    not text raises UsageError naming it.
    """
    if not os.path.exists(path):
        return []
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for raw in csv.DictReader(f):
                try:
                    row = {k: float(v) for k, v in raw.items()
                           if k and v not in (None, "")}
                    row["epoch"] = int(row["epoch"])
                except (KeyError, ValueError, TypeError):
                    continue
                rows.append(row)
    except (UnicodeDecodeError, csv.Error) as e:
        raise UsageError(f"{path}: not a readable CSV file ({type(e).__name__}); "
                         "restore it, or move it away to go on without its rows"
                         ) from None
    return rows


def write_rows(path, rows, columns=COLUMNS):
    """Write ``rows`` (dicts) with ``columns`` (extra keys kept at the end)."""
    extra = sorted({k for r in rows for k in r} - set(columns))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns) + extra,
                            lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                         for k, v in r.items()})
    write_text(path, out.getvalue())
