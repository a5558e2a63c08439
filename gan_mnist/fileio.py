"""Whole-or-nothing file writes: write a temporary file beside the target,
flush it to disk, then rename it over the target. A reader (or a resume after
kill -9) sees the old file or the new one, never half of one."""

import contextlib
import json
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Yield a temporary path in ``path``'s folder; rename it to ``path`` when
    the block ends without an error, remove it otherwise.

    ``suffix`` (default: ``path``'s own extension) keeps writers that choose
    a format by extension (image writers) working on the temporary name.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if suffix is None:
        suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp" + suffix, dir=folder)
    os.close(fd)
    # mkstemp makes the file private (0600); give it the usual permissions.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def write_text(path, text):
    """Write ``text`` to ``path`` whole or not at all."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj):
    """Write ``obj`` as indented JSON to ``path`` whole or not at all."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def check_new_folder(path, flag):
    """Raise UsageError (naming ``flag``) unless ``path`` can become a new
    folder: absent or an empty folder (not a link), in a writable folder."""
    from .errors import UsageError
    if os.path.lexists(path):
        if not os.path.isdir(path) or os.path.islink(path):
            raise UsageError(f"{flag} {path}: exists and is not a folder; name a "
                             "new folder")
        if os.listdir(path):
            raise UsageError(f"{flag} {path}: exists and is not empty; name a new "
                             "or empty folder (nothing was changed)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{flag} {path}: its folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: {parent} is not writable")


@contextlib.contextmanager
def atomic_folder(path):
    """Yield a new temporary folder beside ``path``; when the block ends
    without an error it becomes ``path`` (which must be absent or an empty
    folder), else it is removed: ``path`` is whole or absent."""
    import shutil
    parent = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".", dir=parent)
    try:
        work = os.path.join(tmp, "new")
        os.mkdir(work)
        yield work
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)  # empty, as checked; rmdir refuses it otherwise
        os.replace(work, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
