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


_NEW_FOLDER = "give the path of a new folder, or of an empty one"


def check_new_folder(path, flag):
    """Raise UsageError (one line naming ``flag`` and ``path``) unless a
    folder can be written whole at ``path``: absent, or an empty folder
    that is not a symbolic link, in a folder this process can write in.
    Nothing is written."""
    from .errors import UsageError
    path = os.fspath(path)
    what = f"{flag} {path}"
    if not path.strip():
        raise UsageError(f"{flag} needs a folder name; {_NEW_FOLDER}")
    full = os.path.abspath(path)
    if full == os.path.abspath(os.curdir) or os.path.basename(path.rstrip("/")) in (".", ".."):
        raise UsageError(f"{what}: names the working folder or its parent; "
                         f"{_NEW_FOLDER}")
    parent = os.path.dirname(full)
    if os.path.islink(full):
        raise UsageError(f"{what}: is a symbolic link; {_NEW_FOLDER}")
    if os.path.lexists(full):
        if not os.path.isdir(full):
            raise UsageError(f"{what}: is a file, not a folder; {_NEW_FOLDER}")
        try:
            entries = os.listdir(full)
        except OSError as e:
            raise UsageError(f"{what}: cannot read the folder ({e.strerror}); "
                             f"{_NEW_FOLDER}") from None
        if entries:
            raise UsageError(f"{what}: the folder exists and is not empty "
                             f"({len(entries)} entries); {_NEW_FOLDER} (nothing "
                             "was changed)")
    if not os.path.isdir(parent):
        state = "is not a folder" if os.path.lexists(parent) else "does not exist"
        raise UsageError(f"{what}: the parent folder {parent} {state}; create it "
                         "first or choose another place")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {parent} (permission denied or "
                         "a read-only file system); choose a folder you can write in")


@contextlib.contextmanager
def atomic_folder(path, flag):
    """Yield a new, empty temporary folder beside ``path``; when the block
    ends without an error it becomes ``path`` (absent or an empty folder,
    see ``check_new_folder``), else it is removed, also on Ctrl-C: ``path``
    is whole or absent. ``flag`` names the path in the error raised when
    something else appeared at ``path`` meanwhile."""
    import errno
    import shutil

    from .errors import UsageError
    full = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(full)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=parent)
    try:
        # mkdtemp makes the folder private (0700); give it the usual mode.
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        for entry in os.listdir(tmp):
            if os.path.isfile(os.path.join(tmp, entry)):
                with open(os.path.join(tmp, entry), "rb+") as f:
                    os.fsync(f.fileno())
        try:
            os.replace(tmp, full)  # over an empty folder too, not a full one
        except OSError as e:
            if e.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise UsageError(f"{flag} {path}: something was written there "
                                 f"meanwhile; {_NEW_FOLDER}") from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_utf8(path, flag):
    """Raise UsageError unless ``path`` is valid UTF-8 (Linux names may be
    any bytes; TensorFlow's files need UTF-8 names)."""
    from .errors import UsageError
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise UsageError(f"{flag} {shown}: the name is not valid UTF-8, which "
                         "TensorFlow's files need; choose another name") from None


def check_new_file(path, flag, overwrite=False, own=None):
    """Raise UsageError (one line naming ``flag`` and ``path``) unless a file
    may be written at ``path``: not a folder or a symbolic link, in a
    writable folder, absent unless ``overwrite``, and never one of a run's
    own files (config.json, a checkpoint, metrics.csv, a grid ...) in a run
    folder. ``own``: the one run file the command itself writes and may
    replace (evaluate's model-N.eval.json)."""
    from .errors import UsageError
    from .rundir import names
    what = f"{flag} {path}"
    full = os.path.abspath(path)
    folder = os.path.dirname(full)
    if os.path.isdir(full):
        raise UsageError(f"{what}: is a folder; name a file in it")
    if os.path.islink(full):
        raise UsageError(f"{what}: is a symbolic link; name a file")
    if not os.path.isdir(folder):
        raise UsageError(f"{what}: its folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {folder} (permission denied "
                         "or a read-only file system)")
    if own is not None and full == os.path.abspath(own):
        return
    if names.is_run_file(os.path.basename(full)) and names.holds_run(folder):
        raise UsageError(f"{what}: is a name of the run's own files in {folder}; "
                         "name a file outside the run's files")
    if os.path.lexists(full) and not overwrite:
        raise UsageError(f"{what}: exists; add --overwrite to replace it, or "
                         "name another file")
