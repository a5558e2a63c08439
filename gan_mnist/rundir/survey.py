"""What may be deleted from a run folder (``--output``), and what stops a run.

Only regular files with the names of ``names`` are ever deleted, never
through a symbolic link, and only folders that hold nothing else; anything
in doubt stops the run with one line and nothing is deleted. ``survey``
sorts a folder's entries into the run's own, the leftovers of writes cut
short, the doubtful and the user's.
"""

import collections
import os
import stat

from ..errors import UsageError
from ..fileio import check_utf8
from . import names
from .names import LOCK_FILE, LOGS_DIR

Survey = collections.namedtuple("Survey", [
    "own",        # names of the run's files and folders
    "leftovers",  # of those, the writes that a crash cut short
    "doubtful",   # [(name, why)]: run-like names this package cannot vouch for
    "foreign",    # names of everything else: the user's
])


def _kind(path):
    """'file', 'dir', 'link' or 'other', from lstat (links not followed);
    'gone' when the entry vanished since the folder was listed (a write of
    another process renamed its temporary file)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "gone"
    if stat.S_ISLNK(mode):
        return "link"
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


def _folder_doubt(path, name_ok):
    """Why the folder ``path`` cannot be the package's, or None when it
    holds only regular files whose names pass ``name_ok``."""
    for part in sorted(os.listdir(path)):
        kind = _kind(os.path.join(path, part))
        if kind == "gone":
            continue
        if kind != "file":
            return f"holds {part!r}, a {'symbolic link' if kind == 'link' else kind}"
        if not name_ok(part):
            return f"holds {part!r}, which this package did not write"
    return None


def survey(folder):
    """Sort the entries of ``folder`` (which must exist) into a Survey."""
    own, leftovers, doubtful, foreign = [], [], [], []
    for name in sorted(os.listdir(folder)):
        kind = _kind(os.path.join(folder, name))
        if kind == "gone":
            continue
        kept = names.SET_ASIDE.match(name)
        run_like = (names.is_run_file(name) or name == LOGS_DIR
                    or names.TEMP_DIR.match(name) or kept)
        if not run_like:
            foreign.append(name)
        elif kind == "link":
            doubtful.append((name, "is a symbolic link"))
        elif name == LOGS_DIR or names.TEMP_DIR.match(name) or kept:
            ok = (names.EVENT_FILE.match if name == LOGS_DIR else
                  names.is_run_file if kept else names.TEMP_PART.match)
            why = ("is not a folder" if kind != "dir"
                   else _folder_doubt(os.path.join(folder, name), ok))
            if why:
                doubtful.append((name, why))
            else:
                own.append(name)
                if name != LOGS_DIR and not kept:
                    leftovers.append(name)
        elif kind != "file":
            doubtful.append((name, f"is a {kind}, not a file"))
        else:
            own.append(name)
            if names.is_leftover(name):
                leftovers.append(name)
    return Survey(own, leftovers, doubtful, foreign)


def _refuse_doubt(folder, s):
    if s.doubtful:
        name, why = s.doubtful[0]
        raise UsageError(
            f"--output {folder}: {name!r} {why}; this package deletes only its "
            "own regular files: move it away or choose another --output "
            "(nothing was deleted)")


def check_writable(folder, flag="--output"):
    """Raise UsageError unless ``folder`` is, or can become, a writable folder."""
    if not folder:
        raise UsageError(f"{flag} '': give the name of a folder")
    check_utf8(folder, flag)
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise UsageError(f"{flag} {folder}: is a file, not a folder; "
                         "name a folder")
    probe = os.path.abspath(folder)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise UsageError(f"{flag} {folder}: {probe} is a file, so the folder "
                         "cannot be made; choose another path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {folder}: {probe} is not writable; "
                         "choose another folder")


def check_new_run(folder, epochs, overwrite=False):
    """Before a new run: refuse a folder that holds anything not the
    package's, anything in doubt, or a run with ``epochs`` > 0 finished
    epochs unless ``overwrite``. Deletes nothing."""
    check_writable(folder)
    if not os.path.isdir(folder):
        return
    s = survey(folder)
    if s.foreign:
        more = f" and {len(s.foreign) - 1} more" if len(s.foreign) > 1 else ""
        raise UsageError(
            f"--output {folder}: holds {s.foreign[0]!r}{more}, which this "
            "package did not write; move it away or choose another "
            "--output (nothing was deleted)")
    _refuse_doubt(folder, s)
    if epochs and not overwrite:
        raise UsageError(
            f"--output {folder}: holds a run of {epochs} epochs; continue it "
            "with --restore, start over with --overwrite (deletes the run's "
            "files), or choose another --output")


def check_resume(folder):
    """Before a resume: refuse anything in doubt in ``folder``."""
    check_writable(folder)
    _refuse_doubt(folder, survey(folder))


def _delete(folder, entries):
    """Delete the regular files, and the package's folders of regular
    files, ``entries`` (names) in ``folder``; check each with lstat again
    just before."""
    for name in entries:
        path = os.path.join(folder, name)
        if _kind(path) == "dir":
            for part in os.listdir(path):
                if _kind(os.path.join(path, part)) == "file":
                    os.unlink(os.path.join(path, part))
            os.rmdir(path)
        elif _kind(path) == "file":
            os.unlink(path)
    return len(entries)


def clear(folder):
    """Delete the run's files in ``folder`` (after ``check_new_run``), all
    but the lock file; create the folder if needed. Returns how many
    entries were deleted."""
    os.makedirs(folder, exist_ok=True)
    s = survey(folder)
    if s.foreign or s.doubtful:  # checked already: changed since, so stop
        raise UsageError(f"--output {folder}: changed while starting; nothing "
                         "was deleted, try again")
    return _delete(folder, [n for n in s.own if n != LOCK_FILE])


def clear_leftovers(folder):
    """Delete the temporary files of writes that a crash cut short (after
    ``check_resume``); returns how many."""
    return _delete(folder, survey(folder).leftovers)
