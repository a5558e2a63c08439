"""Images to evaluate from a file: an .npy, or an .npz (its ``images``
array, else its first one), as ``generate`` writes them.

Everything is checked before the array is read: the file's kind by its
first bytes, the size its header claims against the file and against the
memory free here. A bad file is named in one line (UsageError).
"""

import os
import zipfile
import zlib

import numpy as np

from ..cpu import check_memory
from ..errors import UsageError

NPY_MAGIC = b"\x93NUMPY"
_WORK = 5  # bytes of memory per stored byte: the array, then the classifier's
           # float32 copy of uint8 pixels
ZIP_MAGIC = b"PK\x03\x04"


def _npy_size(f, where):
    """Bytes of the array whose .npy header ``f`` is at; reads the header."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = read(f)
    except (ValueError, OSError, EOFError, SyntaxError) as e:
        raise UsageError(f"{where}: not a readable .npy header "
                         f"({' '.join(str(e).split())[:120]})") from None
    if dtype.hasobject:
        raise UsageError(f"{where}: holds Python objects, not numbers")
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def load_images(path, flag="--images"):
    """The array stored in ``path`` (an .npy, or an .npz's ``images`` or
    first array), as stored; UsageError naming the file when it is missing,
    of another kind, damaged, or larger than this machine can hold."""
    where = f"{flag} {path}"
    if not os.path.isfile(path):
        raise UsageError(f"{where}: no such file" if not os.path.exists(path)
                         else f"{where}: not a file")
    try:
        with open(path, "rb") as f:
            head = f.read(6)
            if head == NPY_MAGIC:
                f.seek(0)
                need = _npy_size(f, where)
                if need > os.path.getsize(path):
                    raise UsageError(f"{where}: its header claims {need} bytes of data, "
                                     "more than the file holds: cut short")
                check_memory(need * _WORK, where, "evaluate a smaller set")
                f.seek(0)
                return np.load(f, allow_pickle=False)
    except PermissionError:
        raise UsageError(f"{where}: permission denied") from None
    if head[:2] != ZIP_MAGIC[:2]:  # PK: a zip's entries, or an empty one's end
        raise UsageError(f"{where}: not an .npy or .npz file (its first bytes are "
                         f"{head!r}); give images as generate --out X.npz writes them")
    return _from_npz(path, where)


def _from_npz(path, where):
    try:
        with zipfile.ZipFile(path) as z:
            members = [n for n in z.namelist() if n.endswith(".npy")]
            if not members:
                raise UsageError(f"{where}: the .npz holds no array")
            name = "images.npy" if "images.npy" in members else members[0]
            check_memory(z.getinfo(name).file_size, where, "evaluate a smaller set")
            with z.open(name) as f:
                need = _npy_size(f, where)
            check_memory(need * _WORK, where, "evaluate a smaller set")
        with np.load(path, allow_pickle=False) as loaded:
            return loaded[name[:-4]]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        raise UsageError(f"{where}: a damaged .npz "
                         f"({' '.join(str(e).split())[:120]})") from None
