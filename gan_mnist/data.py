"""MNIST from raw IDX files.

The IDX layout: a big-endian uint32 magic number (2051 for images, 2049 for
labels), one big-endian uint32 per dimension (images: count, rows, columns;
labels: count), then the uint8 payload. Every number in the header is checked
against the file before the payload is trusted; nothing is skipped blindly.

Pixels stay uint8 (0..255): the training images take 47 MB this way, where a
float64 copy would take 376 MB. Scaling to [-1, 1] happens in the graph.
"""

import gzip
import os
import struct
import zlib

import numpy as np

from .cpu import check_memory
from .errors import UsageError

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
IMAGE_SIDE = 28

# Release names first (as on the public mirrors), then the names that the
# tutorial uses (a dot where the release has a dash).
_STEMS = {
    ("train", "images"): ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}

# Where the files are looked for when no folder is named: the tutorial's
# ./MNIST_data, else the copy that travels with the package (the wheel
# carries the repo's MNIST_data/ as gan_mnist/mnist_data).
TUTORIAL_DIR = "MNIST_data"
PACKAGED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_data")

HOW_TO_GET = ("pass --data-dir a folder with the four MNIST files, or leave "
              "--data-dir out to use the files packaged with gan_mnist")


class DataError(UsageError):
    """A data folder or IDX file that cannot be used; the message names it."""


def locate(data_dir=None):
    """(the folder to read the MNIST files from, a line saying so or None).

    ``data_dir`` given: that folder, whatever it holds. None: ./MNIST_data
    when it exists (where the tutorial keeps it), else the files packaged
    with gan_mnist, and the line says so.
    """
    if data_dir is not None:
        return data_dir, None
    if os.path.isdir(TUTORIAL_DIR):
        return TUTORIAL_DIR, None
    if not os.path.isdir(PACKAGED_DIR):
        raise DataError(f"no ./{TUTORIAL_DIR} here, and the MNIST files packaged "
                        f"with gan_mnist ({PACKAGED_DIR}) are missing; reinstall "
                        "gan_mnist or pass --data-dir")
    return PACKAGED_DIR, (f"data: no ./{TUTORIAL_DIR} here, so the MNIST files "
                          f"packaged with gan_mnist ({PACKAGED_DIR})")


def check_split(data_dir, split):
    """Raise DataError naming the file unless both files of ``split`` are in
    ``data_dir`` with sound headers; reads the headers only, so a command
    can refuse bad data before TensorFlow loads."""
    for kind, magic in (("images", IMAGE_MAGIC), ("labels", LABEL_MAGIC)):
        path = find_file(data_dir, split, kind)
        opener = gzip.open if path.endswith(".gz") else open
        try:
            with opener(path, "rb") as f:
                head = f.read(16 if kind == "images" else 8)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: cannot read ({e}); replace the file") from None
        if len(head) < 8 or struct.unpack(">I", head[:4])[0] != magic:
            raise DataError(f"{path}: not an MNIST {kind} file (its header); "
                            "replace the file")


def find_file(data_dir, split, kind):
    """Return the path of one MNIST file in ``data_dir``.

    Args:
      data_dir: folder holding the files.
      split: "train" or "test".
      kind: "images" or "labels".
    Accepts the release or the tutorial's name, raw or with ``.gz``.
    Raises DataError naming the folder or the missing file.
    """
    if not os.path.isdir(data_dir):
        raise DataError(f"data folder {data_dir!r} does not exist; {HOW_TO_GET}")
    if not os.access(data_dir, os.R_OK | os.X_OK):
        raise DataError(f"data folder {data_dir!r}: permission denied; make it "
                        "readable, or pass another --data-dir")
    stems = _STEMS[(split, kind)]
    for stem in stems:
        for name in (stem, stem + ".gz"):
            path = os.path.join(data_dir, name)
            if os.path.isfile(path):
                return path
    raise DataError(
        f"{os.path.join(data_dir, stems[0])}[.gz] not found (nor the name "
        f"{stems[1]}); {HOW_TO_GET}")


def _read_bytes(path):
    """The file's (decompressed) bytes, but never more than its header
    promises plus one (so that a file longer than its header says is still
    told apart) and never more than this machine can hold: a 40 GB file or
    a header that claims petabytes is refused before it is read."""
    # A damaged deflate stream raises zlib.error, which is not an OSError.
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4:
                return head
            ndim = struct.unpack(">I", head)[0] & 0xFF
            head += f.read(4 * min(ndim, 4))
            if ndim > 4 or len(head) < 4 + 4 * ndim:
                return head  # parse_idx names what is wrong
            dims = struct.unpack(">" + "I" * ndim, head[4:])
            promised = int(np.prod(dims, dtype=object))
            check_memory(promised, path, "replace the file (its header claims "
                         f"{' x '.join(map(str, dims))} bytes)")
            return head + f.read(promised + 1)
    except PermissionError:
        raise DataError(f"{path}: permission denied; make it readable or pass "
                        "--data-dir") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{path}: cannot read ({e}); replace the file") from None


def parse_idx(raw, expected_magic, path="<bytes>"):
    """Parse the bytes of one IDX file of uint8 data.

    Args:
      raw: the whole (decompressed) file as bytes.
      expected_magic: 2051 for images, 2049 for labels.
      path: the file's name, for error messages.
    Returns:
      A uint8 array shaped as the header says: (count, rows, cols) for images,
      (count,) for labels.
    Raises DataError on a wrong magic number, a short header, a payload that
    is shorter or longer than the header promises, or wrong image sides.
    """
    if len(raw) < 4:
        raise DataError(f"{path}: {len(raw)} bytes, too short for an IDX header")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != expected_magic:
        raise DataError(
            f"{path}: magic number {magic}, expected {expected_magic} "
            f"({'images' if expected_magic == IMAGE_MAGIC else 'labels'}); "
            "this is not that MNIST file")
    ndim = magic & 0xFF  # the low byte of the magic counts the dimensions
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(f"{path}: truncated header ({len(raw)} bytes)")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header_len])
    if expected_magic == IMAGE_MAGIC and dims[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{path}: images of {dims[1]}x{dims[2]}, expected 28x28")
    expected = header_len + int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise DataError(
            f"{path}: {what}: {len(raw)} bytes, header promises {expected}; "
            "replace the file")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(dims)


def read_idx(path, expected_magic):
    """Read and validate one IDX file (raw or .gz); see ``parse_idx``."""
    return parse_idx(_read_bytes(path), expected_magic, path)


def load_mnist(data_dir, split="train", limit=None):
    """Load one MNIST split.

    Args:
      data_dir: folder with the IDX files (see ``find_file`` for names).
      split: "train" (60000 images) or "test" (10000).
      limit: keep only the first ``limit`` images, in file order (for tests
        and quick runs); None keeps all.
    Returns:
      (images, labels): uint8 arrays of shape (N, 28, 28) with values 0..255
      and (N,) with values 0..9.
    Raises DataError when a file is missing or broken, or the counts differ.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    img_path = find_file(data_dir, split, "images")
    lbl_path = find_file(data_dir, split, "labels")
    images = read_idx(img_path, IMAGE_MAGIC)
    labels = read_idx(lbl_path, LABEL_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{img_path} holds {len(images)} images but {lbl_path} holds "
            f"{len(labels)} labels; the two files must come from one release")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, labels
